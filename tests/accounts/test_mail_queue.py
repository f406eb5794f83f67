"""E-mail from the job queue: requests only queue it; a worker sends it to a real SMTP server
on loopback, tries again with pauses while the server fails, and keeps nothing once sent."""

import json
import logging
import re
import socketserver
import threading
import time
from email import message_from_bytes

import pytest
import sqlalchemy as sa

from navigator import jobs
from navigator.accounts import mailing
from tests.conftest import login


class Sink:
    """A tiny SMTP server on loopback that keeps what it receives; it can turn the first
    connections away with 421 (busy), as a failing mail server does."""

    def __init__(self, refuse: int = 0) -> None:
        self.messages, self.connections, self.refuse = [], 0, refuse
        sink = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                sink.connections += 1
                if sink.connections <= sink.refuse:
                    self.wfile.write(b"421 sink busy, try again later\r\n")
                    return
                self.wfile.write(b"220 sink ready\r\n")
                data = None
                while line := self.rfile.readline():
                    if data is not None:  # the message, up to a lone dot
                        if line in (b".\r\n", b".\n"):
                            sink.messages.append(message_from_bytes(b"".join(data)))
                            data = None
                            self.wfile.write(b"250 queued\r\n")
                        else:
                            data.append(line[1:] if line.startswith(b"..") else line)
                        continue
                    command = line.strip().upper()
                    if command == b"DATA":
                        data = []
                        self.wfile.write(b"354 go ahead\r\n")
                    elif command == b"QUIT":
                        self.wfile.write(b"221 bye\r\n")
                        return
                    else:  # EHLO, MAIL FROM, RCPT TO, RSET, NOOP
                        self.wfile.write(b"250 ok\r\n")

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def wait(self, count: int, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(self.messages) >= count, f"{len(self.messages)} of {count} e-mails arrived"


@pytest.fixture
def sink():
    server = Sink()
    yield server
    server.close()


def _mail_app(app_factory, sink: Sink, **settings):
    return app_factory(MAIL_SERVER="127.0.0.1", MAIL_PORT=sink.port, MAIL_USE_TLS=False,
                       JOBS_RETRY_SECONDS=0.2, **settings)


def _outbox(app) -> list:
    """The kept jobs, each with its arguments read back."""
    with app.extensions["navigator.db"].connect() as conn:
        rows = conn.execute(sa.select(jobs.kept_table)).all()
    return [(row, json.loads(row.data) if row.data else {}) for row in rows]


def _reset_link(message) -> str:
    return re.search(r"http://navigator.test(/password/reset/\S+)",
                     message.get_payload(decode=True).decode()).group(1)


def test_a_reset_request_only_queues_and_a_worker_sends_it(app_factory, sink, make_user,
                                                           caplog):
    app = _mail_app(app_factory, sink)
    make_user(email="owner@example.org")
    client = app.test_client()
    started = time.monotonic()
    response = client.form("/password/forgot", {"email": "owner@example.org"})
    assert response.status_code == 200 and time.monotonic() - started < 5
    assert sink.connections == 0  # the request never spoke to the mail server
    [(queued, data)] = _outbox(app)
    # The row must hold the link to send it; it holds it only until it is sent.
    assert (data["to"], queued.status) == ("owner@example.org", "queued")
    assert "/password/reset/" in data["body"]
    worker = jobs.start_worker(app, workers=1)
    try:
        sink.wait(1)
    finally:
        worker.stop()
    [message] = sink.messages
    assert message["To"] == "owner@example.org"
    assert message["Subject"] == "Reset your Navigator password"
    link = _reset_link(message)
    assert client.get(link).status_code == 200  # the link works
    assert _outbox(app) == []  # nothing of the message is kept once sent
    token = link.rsplit("/", 1)[1]
    assert token not in caplog.text and "owner@example.org" not in caplog.text


def test_a_failing_mail_server_is_tried_again_until_it_takes_the_message(
        app_factory, make_user, make_programme, caplog):
    sink = Sink(refuse=2)  # busy twice, then it accepts
    try:
        app = _mail_app(app_factory, sink)
        programme = make_programme("Riverside")
        manager = login(app.test_client(), make_user("manager", programme))
        response = manager.form("/people/invite", {"email": "newbie@example.org",
                                                   "programme_id": programme.id,
                                                   "role": "navigator"})
        assert response.status_code == 200 and sink.connections == 0
        caplog.set_level(logging.INFO)
        worker = jobs.start_worker(app, workers=1)
        try:
            sink.wait(1)
        finally:
            worker.stop()
    finally:
        sink.close()
    assert sink.connections == 3 and len(sink.messages) == 1  # two refusals, then delivery
    [message] = sink.messages
    body = message.get_payload(decode=True).decode()
    token = re.search(r"/invitation/(\S+)", body).group(1)
    assert message["To"] == "newbie@example.org" and "Riverside" in message["Subject"]
    assert caplog.text.count("failed (SMTPConnectError); trying again") == 2
    # Log lines name the message by its number: no address, link or token.
    assert token not in caplog.text and "newbie@example.org" not in caplog.text
    assert _outbox(app) == []


def test_the_pauses_between_tries_grow(app):
    with app.app_context():
        app.config["JOBS_RETRY_SECONDS"] = 30
        assert [jobs.pause(n) for n in (1, 2, 3, 10, 20)] == [30, 60, 120, 3600, 3600]


def test_a_message_whose_worker_died_mid_send_is_sent_by_the_sweeper(app_factory, sink):
    app = _mail_app(app_factory, sink)
    with app.app_context():
        mailing.send("late@example.org", "Hello", "A message body.")
    # What a worker killed while talking to the mail server leaves: a row "sending", and no
    # message in the queue any more.
    with app.extensions["navigator.db"].begin() as conn:
        conn.execute(sa.update(jobs.kept_table).values(
            status="running", attempts=1, touched_at=time.time() - jobs.STUCK_SECONDS - 1))
    jobs.sweep(app)  # what every live worker does every few seconds
    jobs.sweep(app)  # a second sweeper queues nothing more
    assert [row.status for row, _data in _outbox(app)] == ["queued"]
    worker = jobs.start_worker(app, workers=1)
    try:
        sink.wait(1)
        time.sleep(0.5)  # a second queue message, had there been one, would send it again
    finally:
        worker.stop()
    assert [m["To"] for m in sink.messages] == ["late@example.org"]
    assert _outbox(app) == []


def test_a_message_given_up_on_keeps_nothing_of_what_it_said(app_factory, make_user):
    closed = Sink()
    port = closed.port
    closed.close()  # nothing listens there now: every try fails
    app = app_factory(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_USE_TLS=False,
                      JOBS_GIVE_UP_HOURS=0)
    with app.app_context():
        mailing.send("gone@example.org", "Reset", "http://navigator.test/secret")
        [(row, _data)] = _outbox(app)
        jobs.run_kept(row.id)  # as a worker runs it; too old to try again: given up
    [(row, data)] = _outbox(app)
    assert (row.status, row.data, data) == ("failed", "", {})
