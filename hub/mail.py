"""Outgoing mail: SMTP when MAIL_SERVER is configured, otherwise written to the app log (development).

    send_mail("hanako@example.jp", subject, body)

Tests (app.testing) also find every message in `app.extensions["hub.outbox"]`.
Links in mail come from `external_url`, built from PUBLIC_URL: never from the request's Host header, which a
client chooses.
"""
from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage
from urllib.parse import urlsplit

from flask import current_app

log = logging.getLogger(__name__)


def external_url(endpoint: str, **values) -> str:
    """Return the absolute URL of `endpoint` under PUBLIC_URL (e.g. https://hub.example.jp/sub/...)."""
    return public_url_adapter().build(endpoint, values, force_external=True)


def public_url_adapter():
    """The URL adapter of PUBLIC_URL (never the request's Host header); bind once to build many links."""
    public = urlsplit(current_app.config["PUBLIC_URL"])
    return current_app.url_map.bind(public.netloc, script_name=public.path.rstrip("/") or "/",
                                    url_scheme=public.scheme or "https")


def send_mail_or_log(to: str, subject: str, body: str) -> bool:
    """Send like send_mail, but log a failing server instead of raising: the page answers the same either way."""
    try:
        send_mail(to, subject, body)
    except (smtplib.SMTPException, OSError):
        log.exception("Mail to %s could not be sent: %s", to, subject)
        return False
    return True


def send_mail(to: str, subject: str, body: str) -> None:
    """Send one plain-text mail; without a configured server, log it instead."""
    config = current_app.config
    message = EmailMessage()
    message["From"] = config["MAIL_SENDER"]
    message["To"] = to
    message["Subject"] = str(subject)
    message.set_content(str(body))
    if current_app.testing:
        current_app.extensions.setdefault("hub.outbox", []).append(message)
    if not config.get("MAIL_SERVER"):
        log.info("Mail (no MAIL_SERVER configured) to %s: %s\n%s", to, subject, body)
        return
    with smtplib.SMTP(config["MAIL_SERVER"], int(config["MAIL_PORT"]), timeout=15) as smtp:
        if config.get("MAIL_USE_TLS"):
            smtp.starttls()
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
        smtp.send_message(message)
