"""Outgoing mail: SMTP when MAIL_SERVER is configured, otherwise written to the app log (development).

    send_mail("hanako@example.jp", subject, body)

Tests (app.testing) also find every message in `app.extensions["hub.outbox"]`.
"""
from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage

from flask import current_app

log = logging.getLogger(__name__)


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
