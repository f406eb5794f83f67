"""E-mail from the job queue: a request queues the message, a job worker sends it.

mail.py sends, jobs.py queues; the import rules keep those two apart, so they meet here, in
the capability that sends the platform's e-mail. The message (with its reset or invitation
link) waits in the database, not in the queue, and is deleted once the mail server took it.
"""

import smtplib

from navigator import jobs, mail


def send(to: str, subject: str, body: str) -> None:
    """Send an e-mail without waiting for the mail server: queued when one is set."""
    if mail.server_set():
        jobs.enqueue_kept(deliver, to=to, subject=subject, body=body)
    else:
        mail.send(to, subject, body)  # the console: nothing to wait for


@jobs.job
def deliver(to: str, subject: str, body: str) -> None:
    """In a job worker: hand the message to the mail server (tried again while it fails)."""
    try:
        mail.send(to, subject, body)
    except smtplib.SMTPRecipientsRefused as exc:  # no later try will change the answer
        raise jobs.GiveUp() from exc
