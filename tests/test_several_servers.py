"""Several machines, proven on loopback: PostgreSQL, Redis, two gunicorn servers with separate
instance folders (no shared disk) and a job worker with a third.

- The mixed Locust workload (lessons, quizzes, outreach, certificate checks) runs over both
  servers, every request to either one at random, sign-in on one and the rest on the other.
- A certificate export started through server A is downloaded through server B.
- A trainer publishes through A while navigators read through B: the next page on B shows it.
- The worker is killed mid-export: the export starts again in a new worker, keeping the
  certificates already rendered (in the database), and completes.
- A password reset asked through A is e-mailed by the worker (a real SMTP server on loopback);
  its link opens on B.
- Afterwards every acknowledged quiz attempt and outreach activity is in the database once.

Runs when NAVIGATOR_TEST_DATABASE_URL names a PostgreSQL server and NAVIGATOR_TEST_REDIS_URL a
Redis server, as in .ci/run's PostgreSQL pass; it makes its own database on that server.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import signal
import subprocess
import sys
import time
import zipfile
from datetime import date
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet

from tests.accounts.test_mail_queue import Sink

ROOT = Path(__file__).resolve().parent.parent
PG_URL = os.environ.get("NAVIGATOR_TEST_DATABASE_URL", "")
REDIS_URL = os.environ.get("NAVIGATOR_TEST_REDIS_URL", "")
PASSWORD = "load-test-lantern-harbour-7"
pytestmark = pytest.mark.skipif(
    not (PG_URL.startswith(("postgres://", "postgresql")) and REDIS_URL),
    reason="needs NAVIGATOR_TEST_DATABASE_URL (PostgreSQL) and NAVIGATOR_TEST_REDIS_URL")

sys.path.insert(0, str(ROOT / "benchmarks"))


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _own_database() -> str:
    """A fresh database beside the suite's, on the same server."""
    from navigator.config import database_url

    url = sa.engine.make_url(database_url({"DATABASE_URL": PG_URL}))
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql("DROP DATABASE IF EXISTS navigator_servers WITH (FORCE)")
        conn.exec_driver_sql("CREATE DATABASE navigator_servers")
    admin.dispose()
    return url.set(database="navigator_servers").render_as_string(hide_password=False)


def _own_redis() -> str:
    import redis

    url = REDIS_URL.rsplit("/", 1)[0] + "/3"  # a database of its own on that server
    client = redis.Redis.from_url(url)
    client.flushdb()
    client.close()
    return url


class Stack:
    """The processes, their settings, and what was prepared in the database."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.ports = {"a": _free_port(), "b": _free_port()}
        self.url = {name: f"http://127.0.0.1:{port}" for name, port in self.ports.items()}
        self.sink = Sink()  # the mail server
        self.env = {**os.environ,
                    "NAVIGATOR_DATABASE_URL": _own_database(),
                    "NAVIGATOR_REDIS_URL": _own_redis(),
                    "NAVIGATOR_STORAGE": "database",
                    "NAVIGATOR_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
                    "NAVIGATOR_SECRET_KEY": "several-servers-" + "s" * 32,
                    "NAVIGATOR_BASE_URL": self.url["a"],
                    "NAVIGATOR_DEMO": "false",
                    "NAVIGATOR_NARRATION": "off",  # lesson audio is not what is tested here
                    "NAVIGATOR_JOBS_BEAT_SECONDS": "1",
                    "NAVIGATOR_MAIL_SERVER": "127.0.0.1",
                    "NAVIGATOR_MAIL_PORT": str(self.sink.port),
                    "NAVIGATOR_MAIL_USE_TLS": "false",
                    "NAVIGATOR_EXPORT_STALLED_SECONDS": "4",
                    # The limits are Redis's to keep, for both servers. As behind the README's
                    # reverse proxy, each Locust user has its own address (X-Forwarded-For).
                    "NAVIGATOR_RATELIMIT_ENABLED": "true",
                    "NAVIGATOR_PROXIES": "1"}
        self.processes: dict[str, subprocess.Popen] = {}

    def settings(self, instance: str) -> dict:
        return {**self.env, "NAVIGATOR_INSTANCE_PATH": str(self.tmp / instance)}

    def _log(self, name: str):
        return open(self.tmp / f"{name}.log", "a")

    def start_server(self, name: str) -> None:
        with self._log(name) as log:
            self.processes[name] = subprocess.Popen(
                [str(ROOT / ".venv/bin/gunicorn"), "-w", "2", "-b",
                 f"127.0.0.1:{self.ports[name]}", "--log-level", "warning", "app:app"],
                cwd=ROOT, env=self.settings(f"server-{name}"), stdout=log, stderr=log)

    def start_worker(self, name: str) -> subprocess.Popen:
        with self._log(name) as log:
            self.processes[name] = subprocess.Popen(
                [sys.executable, "-m", "flask", "--app", "app", "worker", "--workers", "3"],
                cwd=ROOT, env=self.settings(name), stdout=log, stderr=log)
        return self.processes[name]

    def logs(self) -> str:
        """The servers' and workers' logs, for a failure's message."""
        return "\n".join(f"--- {p.name}\n{p.read_text()[-3000:]}"
                         for p in sorted(self.tmp.glob("*.log")))

    def wait_until_up(self) -> None:
        for name in ("a", "b"):
            for _ in range(900):  # a busy machine starts gunicorn slowly
                try:
                    if httpx.get(f"{self.url[name]}/health", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                time.sleep(0.2)
            else:
                raise AssertionError(f"server {name} did not start")

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        self.sink.close()

    def engine(self):
        from navigator.config import database_url

        return sa.create_engine(database_url({"DATABASE_URL": self.env["NAVIGATOR_DATABASE_URL"]}))


def _prepare(stack: Stack) -> dict:
    """Migrate, navigators and the course (as benchmarks/load.py does), then a trainer, a
    manager and 60 certificates to export."""
    from load import prepare
    from sqlmodel import select

    from navigator import create_app, db
    from navigator.accounts import services as accounts
    from navigator.accounts.models import Programme
    from navigator.certification import codes
    from navigator.certification.models import Certificate
    from navigator.learning import services as learning
    from navigator.learning.models import Course

    settings = stack.settings("prepare")
    data = prepare(settings, navigators=12)
    app = create_app({k.removeprefix("NAVIGATOR_"): v for k, v in settings.items()
                      if k.startswith("NAVIGATOR_") and k not in (
                          "NAVIGATOR_RATELIMIT_ENABLED", "NAVIGATOR_DEMO", "NAVIGATOR_PROXIES",
                          "NAVIGATOR_JOBS_BEAT_SECONDS", "NAVIGATOR_EXPORT_STALLED_SECONDS")}
                     | {"DEMO": False})
    with app.app_context(), db.write_session() as s:
        programme = s.exec(select(Programme)).one()
        # Navigators the workload never signs in: "reader" starts the course after publishing,
        # "follower" has progress in the version before it.
        for role, name in (("trainer", "trainer"), ("manager", "manager"),
                           ("navigator", "reader"), ("navigator", "follower")):
            user = accounts.create_user(s, email=f"{name}@load.example.org", password=PASSWORD,
                                        display_name=name.title(), min_length=10)
            accounts.add_role(s, user, programme, role)
        navigator = accounts.get_user_by_email(s, data["people"][0][0])
        course = s.exec(select(Course)).first()
        version = learning.published_version(s, course.id)
        for n in range(60):
            s.add(Certificate(code=codes.new_code(), completion_key=f"servers:{n}",
                              user_id=navigator.id, programme_id=programme.id,
                              course_id=course.id, version_id=version.id, track_id="servers",
                              printed_name=f"Navigator {n}", locale="en",
                              issued_on=date(2026, 3, 1)))
        data["course_id"], data["course_slug"] = course.id, course.slug
    app.extensions["navigator.db"].dispose()
    return data


@pytest.fixture
def stack(tmp_path):
    stack = Stack(tmp_path)
    stack.data = _prepare(stack)
    stack.start_server("a")
    stack.start_server("b")
    stack.start_worker("worker-1")
    try:
        stack.wait_until_up()
        yield stack
    finally:
        stack.stop()


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def _sign_in(base: str, email: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=60)
    token = _csrf(client.get("/sign-in").text)
    response = client.post("/sign-in", data={"csrf_token": token, "email": email,
                                             "password": PASSWORD})
    assert response.status_code == 302, response.text[:300]
    return client


def _on(client: httpx.Client, base: str) -> httpx.Client:
    """The same browser (its cookies), talking to another server."""
    return httpx.Client(base_url=base, timeout=60, cookies=client.cookies)


def _export(client: httpx.Client, kind: str) -> int:
    token = _csrf(client.get("/certificates/register").text)
    response = client.post("/certificates/exports", data={"csrf_token": token, "kind": kind,
                                                          "paper": "a4"})
    assert response.status_code == 302, response.text[:300]
    return int(response.headers["location"].rsplit("/", 1)[1])


def _row(stack: Stack, export_id: int) -> dict:
    engine = stack.engine()
    with engine.connect() as conn:
        row = conn.execute(sa.text("SELECT status, done, total, attempts FROM "
                                   "certificate_export WHERE id = :i"), {"i": export_id}).one()
    engine.dispose()
    return row._asdict()


def _until(check, timeout: float, what: str, stack: Stack | None = None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(what + ("\n" + stack.logs() if stack else ""))


def test_two_servers_a_worker_postgresql_and_redis(stack, tmp_path):
    a, b = stack.url["a"], stack.url["b"]

    # --- the mixed workload, over both servers ---------------------------------------------
    acks = tmp_path / "acks.jsonl"
    locust_env = {**stack.settings("locust"), "NAVIGATOR_LOAD_ACKS": str(acks),
                  "NAVIGATOR_LOAD_PEOPLE": json.dumps(stack.data["people"]),
                  "NAVIGATOR_LOAD_LESSONS": json.dumps(stack.data["lessons"]),
                  "NAVIGATOR_LOAD_QUIZZES": json.dumps(stack.data["quizzes"]),
                  "NAVIGATOR_LOAD_HOSTS": json.dumps([a, b])}
    subprocess.run(
        [str(ROOT / ".venv/bin/locust"), "-f", str(ROOT / "benchmarks/locustfile.py"),
         "--headless", "-u", "8", "-r", "4", "-t", "30s", "--host", a,
         "--csv", str(tmp_path / "stats"), "--only-summary", "--loglevel", "WARNING"],
        cwd=ROOT / "benchmarks", env=locust_env, check=False, timeout=180)
    with open(tmp_path / "stats_stats.csv") as f:
        total = next(row for row in csv.DictReader(f) if row["Name"] == "Aggregated")
    assert int(total["Request Count"]) > 0  # how many depends on the machine; none may fail
    assert int(total["Failure Count"]) == 0, (tmp_path / "stats_failures.csv").read_text()

    # --- an export started through A, downloaded through B ---------------------------------
    manager_a = _sign_in(a, "manager@load.example.org")
    manager_b = _on(manager_a, b)
    export_id = _export(manager_a, "csv")
    _until(lambda: "Download" in manager_b.get(f"/certificates/exports/{export_id}").text,
           180, "the CSV export never finished", stack)
    download = manager_b.get(f"/certificates/exports/{export_id}/download")
    assert download.status_code == 200
    rows = list(csv.reader(io.StringIO(download.text.lstrip("\ufeff"))))
    assert len(rows) == 61
    assert not list(tmp_path.glob("server-*/exports/certificates-*"))  # no server's disk

    # --- a trainer publishes through A; navigators read through B ---------------------------
    _publish_and_read(stack, a, b)

    # --- a password reset asked through A, e-mailed by the worker, opened on B --------------
    _reset_by_mail(stack, a, b)

    # --- the worker killed mid-export; a new one starts it again -----------------------------
    export_id = _export(manager_a, "zip")
    _until(lambda: (r := _row(stack, export_id))["status"] == "running" and r["done"] > 0,
           180, "the ZIP export never got going", stack)
    worker = stack.processes["worker-1"]
    worker.send_signal(signal.SIGKILL)
    worker.wait(timeout=30)
    killed = time.monotonic()
    assert _pieces(stack, export_id) > 0  # certificates rendered so far, kept in the database
    stack.start_worker("worker-2")  # another machine's worker: its own folder
    row = _until(lambda: (r := _row(stack, export_id))["status"] in ("done", "failed") and r,
                 180, "the killed export neither finished nor failed", stack)
    assert (row["status"], row["done"], row["attempts"]) == ("done", 60, 2)
    assert time.monotonic() - killed < 60
    archive = manager_b.get(f"/certificates/exports/{export_id}/download")
    assert len(zipfile.ZipFile(io.BytesIO(archive.content)).namelist()) == 61
    # Kept only until the export is done: the worker deletes them right after marking it done
    # (not before, in case it was taken for dead and another attempt is reading them).
    _until(lambda: _pieces(stack, export_id) == 0, 30, "the export's pieces were kept", stack)
    for client in (manager_a, manager_b):
        client.close()

    # --- every acknowledged write in the database exactly once -------------------------------
    from load import audit

    checked = audit(stack.settings("audit"), acks)
    assert sum(acked for acked, _once in checked.values()) > 0
    for kind, (acked, once) in checked.items():
        assert acked == once, (kind, acked, once)


def _pieces(stack: Stack, export_id: int) -> int:
    """How many of the export's rendered certificates are kept in the database."""
    engine = stack.engine()
    with engine.connect() as conn:
        count = conn.execute(sa.text("SELECT count(*) FROM stored_file WHERE name LIKE :p"),
                             {"p": f"export-{export_id}-certificate-%"}).scalar_one()
    engine.dispose()
    return count


def _reset_by_mail(stack: Stack, a: str, b: str) -> None:
    """The request on A only queues the e-mail; the worker sends it; the link works on B."""
    with httpx.Client(base_url=a, timeout=60) as client:
        token = _csrf(client.get("/password/forgot").text)
        asked = client.post("/password/forgot", data={"csrf_token": token,
                                                       "email": "reader@load.example.org"})
    assert asked.status_code == 200
    _until(lambda: stack.sink.messages, 60, "the worker never sent the e-mail", stack)
    [message] = stack.sink.messages
    assert message["To"] == "reader@load.example.org"
    body = message.get_payload(decode=True).decode()
    link = re.search(r"/password/reset/\S+", body).group(0)
    with httpx.Client(base_url=b, timeout=60) as client:
        assert client.get(link).status_code == 200
    engine = stack.engine()
    with engine.connect() as conn:  # nothing of the message is kept once sent
        assert conn.execute(sa.text("SELECT count(*) FROM job_kept")).scalar_one() == 0
    engine.dispose()


def _publish_and_read(stack: Stack, a: str, b: str) -> None:
    """A new version published through A is what a navigator starting on B reads."""
    marker = "Published through server A, read through server B."
    # A navigator following the course reads and completes its first lesson on B, before.
    follower = _sign_in(b, "follower@load.example.org")
    lesson = stack.data["lessons"][0]
    course_url = lesson.split("/modules/")[0] + "/"
    page = follower.get(lesson)
    assert page.status_code == 200 and marker not in page.text
    completed = follower.post(f"{lesson}/complete", data={"csrf_token": _csrf(page.text)})
    assert completed.status_code == 302, completed.text[:300]
    trainer = _sign_in(a, "trainer@load.example.org")
    course_id = stack.data["course_id"]
    page = trainer.get(f"/author/courses/{course_id}")
    assert page.status_code == 200, page.status_code
    started = trainer.post(f"/author/courses/{course_id}/draft",
                           data={"csrf_token": _csrf(page.text)})
    assert started.status_code == 302, started.status_code
    engine = stack.engine()
    with engine.connect() as conn:
        draft_id, lesson_id = conn.execute(sa.text(
            "SELECT v.id, l.id FROM courseversion v JOIN module m ON m.version_id = v.id "
            "JOIN lesson l ON l.module_id = m.id WHERE v.course_id = :c "
            "AND v.status = 'draft' ORDER BY m.position, l.position LIMIT 1"),
            {"c": course_id}).one()
    engine.dispose()
    response = trainer.get(f"/author/lessons/{lesson_id}")
    assert response.status_code == 200, (response.status_code, response.headers)
    form = response.text
    title = re.search(r'id="title"[^>]*value="([^"]*)"', form) or re.search(
        r'value="([^"]*)"[^>]*id="title"', form)
    saved = trainer.post(f"/author/lessons/{lesson_id}", data={
        "csrf_token": _csrf(form), "title": title.group(1) if title else "Lesson",
        "minutes": "5", "body": f"{marker}\n\nThe rest of the lesson."})
    assert saved.status_code == 302, saved.text[:500]
    published = trainer.post(f"/author/versions/{draft_id}/publish",
                             data={"csrf_token": _csrf(form)}, follow_redirects=True)
    assert "is published" in published.text, re.findall(r'class="flash[^<]*', published.text)
    trainer.close()
    # A navigator who had not opened the course yet starts it on B, right after.
    reader = _sign_in(b, "reader@load.example.org")
    lesson_urls = [u for u in stack.data["lessons"]]
    first = reader.get(lesson_urls[0], follow_redirects=True).text
    reader.close()
    assert marker in first, "server B served the version from before publishing"
    _follow_to_the_new_version(stack, follower, lesson, course_url, marker)


def _follow_to_the_new_version(stack: Stack, follower: httpx.Client, lesson: str,
                               course_url: str, marker: str) -> None:
    """A navigator with progress, on B right after publishing through A: told of the new
    version, kept on theirs until they switch, their completed lesson still recorded."""
    course = follower.get(course_url).text
    assert "A newer version of this course (version" in course, "B did not see the new version"
    assert marker not in follower.get(lesson).text  # their own version, until they switch
    switched = follower.post(f"{course_url}switch", data={"csrf_token": _csrf(course)},
                             follow_redirects=True)
    assert "You are now following version" in switched.text
    assert marker in follower.get(lesson).text
    follower.close()
    engine = stack.engine()
    with engine.connect() as conn:
        completed = conn.execute(sa.text(
            'SELECT count(*) FROM lessoncompletion c JOIN "user" u ON u.id = c.user_id '
            "WHERE u.email = 'follower@load.example.org'")).scalar_one()
    engine.dispose()
    assert completed == 1  # what they completed before publishing stays recorded
