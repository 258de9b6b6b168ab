"""HTTP hardening in one room: trusted hosts, security headers (Talisman), rate limits (Flask-Limiter).

Rate limits of the account forms, and why these numbers:
- login: 20 a minute per client address (a town hall behind one NAT address can still sign in together,
  while credential stuffing from one address slows to a crawl) and 10 a minute per submitted e-mail (a person
  who mistypes stays far below; a guesser gets 10 tries a minute at a password of 10+ characters that is not
  among the common ones). Only POSTs count; the 11th wrong password in a minute for one account gets 429.
- sign-up and password reset: 10 a minute per address, and 5 an hour per e-mail: each one sends a mail, so
  the per-e-mail limit keeps the hub from mail-bombing someone's inbox.
- "send the confirmation link again" and the password change: per signed-in account.
"""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, request
from flask_babel import gettext as _
from flask_login import current_user
from flask_talisman import Talisman
from werkzeug.exceptions import SecurityError

from hub.extensions import limiter

LOGIN_PER_ADDRESS = "20/minute"
LOGIN_PER_EMAIL = "10/minute"
MAILING_PER_ADDRESS = "10/minute"  # sign-up, reset, resend: each one mails
MAILING_PER_EMAIL = "5/hour"
RESEND_PER_ACCOUNT = "3/10minutes;10/day"
PASSWORD_CHANGE_PER_ACCOUNT = "10/minute"

# Strict: only the hub's own files; no inline script or style, no framing (the "accept contact" button).
CONTENT_SECURITY_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "font-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'none'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


def submitted_email() -> str:
    """Key a limit by the e-mail in the posted form (normalized), so one account's limit holds across addresses."""
    email = (request.form.get("email") or "").strip().lower()
    return f"email:{email}"


def signed_in_account() -> str:
    """Key a limit by the signed-in account (its row id: the limit outlives a password change)."""
    return f"user:{current_user.id if current_user.is_authenticated else request.remote_addr}"


def default_trusted_hosts(public_url: str) -> list[str]:
    """The host of PUBLIC_URL, plus loopback names so the embedded default and health checks work."""
    hosts = [urlsplit(public_url).hostname or "", "localhost", "127.0.0.1"]
    return list(dict.fromkeys(h for h in hosts if h))


def untrusted_host(exc: SecurityError):
    """A Host header outside TRUSTED_HOSTS: a plain 400 (no page: no URL can be built for that host)."""
    return _("This host name is not served here."), 400, {"Content-Type": "text/plain; charset=utf-8"}


def init_app(app: Flask) -> None:
    """Bind trusted hosts, headers and the limiter to `app` (create_app calls it once)."""
    config = app.config
    if config.get("TRUSTED_HOSTS") is None:
        config["TRUSTED_HOSTS"] = default_trusted_hosts(config["PUBLIC_URL"])
    hsts = int(config.get("HSTS_SECONDS") or 0)
    # One Talisman per app (it keeps the app it was bound to), so test apps never share one.
    app.extensions["hub.talisman"] = Talisman(
        app,
        force_https=bool(config.get("FORCE_HTTPS")),
        strict_transport_security=hsts > 0,
        strict_transport_security_max_age=hsts,
        strict_transport_security_include_subdomains=False,
        content_security_policy=CONTENT_SECURITY_POLICY,
        frame_options="DENY",
        referrer_policy="same-origin",
        session_cookie_secure=bool(config.get("SESSION_COOKIE_SECURE")),
        session_cookie_http_only=True,
        session_cookie_samesite=config.get("SESSION_COOKIE_SAMESITE", "Lax"),
    )
    app.register_error_handler(SecurityError, untrusted_host)
    limiter.init_app(app)
