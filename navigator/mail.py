"""Sending e-mail: printed to the console by default, SMTP when configured."""

import smtplib
import sys
from email.message import EmailMessage

from flask import Flask, current_app


def send(to: str, subject: str, body: str) -> None:
    """Send a plain-text e-mail through the configured transport."""
    cfg = current_app.config
    msg = EmailMessage()
    msg["From"] = cfg["MAIL_FROM"]
    msg["To"] = to
    msg["Subject"] = subject
    msg.set_content(body)
    if not cfg["MAIL_SERVER"]:
        # Development transport: the message goes to the terminal, never to the log files.
        print(f"\n----- e-mail (console transport) -----\n{msg}\n--------------------------",
              file=sys.stderr, flush=True)
        current_app.extensions.setdefault("navigator.outbox", []).append(msg)
        return
    with smtplib.SMTP(cfg["MAIL_SERVER"], cfg["MAIL_PORT"], timeout=15) as smtp:
        if cfg["MAIL_USE_TLS"]:
            smtp.starttls()
        if cfg["MAIL_USERNAME"]:
            smtp.login(cfg["MAIL_USERNAME"], cfg["MAIL_PASSWORD"])
        smtp.send_message(msg)


def init_app(app: Flask) -> None:
    """Keep an outbox of console e-mails for tests and the development server."""
    app.extensions["navigator.outbox"] = []
