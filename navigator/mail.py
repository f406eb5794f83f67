"""Sending e-mail: printed to the console by default, SMTP when configured.

Without a mail server, messages (and the invitation and reset links in them) are printed to
the console, for trying the platform out; start-up says so. In production they are never
printed: links in a console end up in log collectors. Managers still see invitation links on
the page after inviting.

With a mail server, pages do not call send() themselves: accounts/mailing.py queues it as a
job (jobs.enqueue_kept), so a slow or absent mail server never holds a web worker, and the
queue tries again with growing pauses until the server takes the message.
"""

import smtplib
import sys
from email.message import EmailMessage

from flask import Flask, current_app


def server_set() -> bool:
    """Whether e-mail goes to a mail server (else to the console, or nowhere in production)."""
    return bool(current_app.config["MAIL_SERVER"])


def send(to: str, subject: str, body: str) -> None:
    """Send a plain-text e-mail through the configured transport, waiting for the server.

    Raises OSError or smtplib.SMTPException when the mail server fails; their messages can
    quote the address, so callers log the kind of error only.
    """
    cfg = current_app.config
    msg = EmailMessage()
    msg["From"] = cfg["MAIL_FROM"]
    msg["To"] = to
    msg["Subject"] = subject
    msg.set_content(body)
    if not cfg["MAIL_SERVER"]:
        if cfg["ENV"] == "production":
            # Neither the address nor the body: the body holds a link that signs someone in.
            current_app.logger.warning("an e-mail was not sent: no mail server is set "
                                       "(NAVIGATOR_MAIL_SERVER)")
            return
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
    """Keep an outbox of console e-mails for tests and the development server; say at start-up
    when no mail server is set."""
    app.extensions["navigator.outbox"] = []
    if app.config["MAIL_SERVER"] or app.config.get("TESTING") and not app.config.get(
            "MAIL_WARNINGS"):
        return
    if app.config["ENV"] == "production":
        app.logger.warning("No mail server is set (NAVIGATOR_MAIL_SERVER): invitation and "
                           "password-reset e-mails will not be sent. Managers see invitation "
                           "links on the page; nobody can reset a forgotten password.")
    else:
        app.logger.warning("No mail server is set (NAVIGATOR_MAIL_SERVER): invitation and "
                           "password-reset e-mails, with their links, are printed to this "
                           "console. Never run like this in production.")
