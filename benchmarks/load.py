"""Load test: gunicorn with several workers, Locust navigators, then a database audit.

Usage: .venv/bin/python benchmarks/load.py [--database-url URL] [--users N] [--seconds S]
Everything runs on loopback. It prints throughput and latency percentiles, fails on any
error, and checks that every acknowledged quiz attempt and outreach activity is stored
exactly once.
"""

import argparse
import csv
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PASSWORD = "load-test-lantern-harbour-7"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def warm(app, person: tuple[str, str], lessons: list[str]) -> None:
    """What a deployment does before its first visitors: the sandbox model trained ahead of
    time (`flask sandbox train`), and every lesson opened once, so each lesson's sandbox
    example is computed and stored for every server. The load then meets a warm server."""
    from forms import fill

    result = app.test_cli_runner().invoke(args=["sandbox", "train"])
    if result.exit_code:
        raise RuntimeError(f"flask sandbox train failed: {result.output}")
    client = app.test_client()
    _action, data = fill(client.get("/sign-in").get_data(as_text=True),
                         {"email": person[0], "password": person[1]}, "email")
    client.post("/sign-in", data=data)
    for url in lessons:
        response = client.get(url)
        if response.status_code != 200:
            raise RuntimeError(f"{url}: HTTP {response.status_code}")


def prepare(env: dict, navigators: int, warmed: bool = True) -> dict:
    """Migrate, create a programme with navigators, import the course, warm the server (see
    warm()); return test data."""
    from sqlmodel import select

    from navigator import create_app, db
    from navigator.accounts import services as accounts
    from navigator.cli import import_packages
    from navigator.config import database_url
    from navigator.learning import package
    from navigator.learning import services as learning
    from navigator.learning.models import Course

    app = create_app({k.removeprefix("NAVIGATOR_"): v for k, v in env.items()
                      if k.startswith("NAVIGATOR_") and k != "NAVIGATOR_RATELIMIT_ENABLED"}
                     | {"RATELIMIT_ENABLED": False, "DEMO": False})
    people, lessons, quizzes = [], [], []
    with app.app_context():
        db.upgrade(database_url(app.config), Path(app.instance_path))
        with db.write_session() as s:
            programme = accounts.create_programme(s, name="Load test programme")
            for n in range(navigators):
                email = f"navigator{n}@load.example.org"
                user = accounts.create_user(s, email=email, password=PASSWORD,
                                            display_name=f"Navigator {n}", min_length=10)
                accounts.add_role(s, user, programme, "navigator")
                people.append((email, PASSWORD))
            programme_id = programme.id
        import_packages(package.find_packages(ROOT / "curricula"), [programme_id])
        with db.write_session() as s:
            for course in s.exec(select(Course)):
                version = learning.published_version(s, course.id)
                for module in learning.modules_of(s, version.id):
                    base = f"/learn/{course.slug}/modules/{module.slug}"
                    quizzes.append(f"{base}/quiz")
                    for lesson in learning.lessons_of(s, [module.id]):
                        lessons.append(f"{base}/lessons/{lesson.slug}")
    if warmed:
        warm(app, people[0], lessons)
    app.extensions["navigator.db"].dispose()
    return {"people": people, "lessons": lessons, "quizzes": quizzes}


def audit(env: dict, acks_path: Path) -> dict:
    """Every acknowledged submission is in the database exactly once."""
    import sqlalchemy as sa

    from navigator.config import database_url, load

    settings = load({k.removeprefix("NAVIGATOR_"): v for k, v in env.items()
                     if k.startswith("NAVIGATOR_") and k != "NAVIGATOR_RATELIMIT_ENABLED"})
    engine = sa.create_engine(database_url(settings))
    acks = [json.loads(line) for line in acks_path.read_text().splitlines() if line.strip()]
    result = {"quiz": [0, 0], "outreach": [0, 0]}
    queries = {"quiz": "SELECT count(*) FROM quizattempt WHERE attempt_key = :k "
                       "AND submitted_at IS NOT NULL",
               "outreach": "SELECT count(*) FROM outreach_activity WHERE submission_key = :k"}
    with engine.connect() as conn:
        for ack in acks:
            count = conn.execute(sa.text(queries[ack["kind"]]), {"k": ack["key"]}).scalar_one()
            result[ack["kind"]][0] += 1
            result[ack["kind"]][1] += count == 1
    engine.dispose()
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default="", help="PostgreSQL URL (default: SQLite)")
    parser.add_argument("--users", type=int, default=30)
    parser.add_argument("--seconds", type=int, default=45)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="navigator-load-"))
    port = free_port()
    env = {**os.environ,
           "NAVIGATOR_INSTANCE_PATH": str(tmp / "instance"),
           "NAVIGATOR_DATABASE_URL": args.database_url or f"sqlite:///{tmp / 'load.db'}",
           "NAVIGATOR_SECRET_KEY": "load-test-secret-" + "x" * 32,
           "NAVIGATOR_BASE_URL": f"http://127.0.0.1:{port}",
           # Throughput is measured here, not the per-address limits all users share.
           "NAVIGATOR_RATELIMIT_ENABLED": "false",
           "NAVIGATOR_DEMO": "false"}
    data = prepare(env, navigators=max(10, args.users))
    server = subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "-w", str(args.workers), "-b", f"127.0.0.1:{port}",
         "--log-level", "warning", "app:app"], cwd=ROOT, env=env)
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        acks = tmp / "acks.jsonl"
        locust_env = {**env, "NAVIGATOR_LOAD_ACKS": str(acks),
                      "NAVIGATOR_LOAD_PEOPLE": json.dumps(data["people"]),
                      "NAVIGATOR_LOAD_LESSONS": json.dumps(data["lessons"]),
                      "NAVIGATOR_LOAD_QUIZZES": json.dumps(data["quizzes"])}
        subprocess.run(
            [str(ROOT / ".venv/bin/locust"), "-f", str(ROOT / "benchmarks/locustfile.py"),
             "--headless", "-u", str(args.users), "-r", str(max(1, args.users // 5)),
             "-t", f"{args.seconds}s", "--host", f"http://127.0.0.1:{port}",
             "--csv", str(tmp / "stats"), "--only-summary", "--loglevel", "WARNING"],
            cwd=ROOT / "benchmarks", env=locust_env, check=False)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    with open(tmp / "stats_stats.csv") as f:
        rows = list(csv.DictReader(f))
    total = next(row for row in rows if row["Name"] == "Aggregated")
    checked = audit(env, acks)
    database = "PostgreSQL" if args.database_url else "SQLite"
    requests, failures = int(total["Request Count"]), int(total["Failure Count"])
    print(f"\nLoad test on {database}: {args.users} users, {args.seconds} s, "
          f"gunicorn -w {args.workers}")
    print(f"  requests {requests}, failures {failures}, "
          f"{float(total['Requests/s']):.1f} req/s")
    print(f"  latency p50 {total['50%']} ms, p95 {total['95%']} ms, p99 {total['99%']} ms")
    for row in rows:  # where the slow answers are
        if row["Name"] != "Aggregated":
            print(f"    {row['Type']:5} {row['Name']:28} {row['Request Count']:>6} requests, "
                  f"p50 {row['50%']} ms, p95 {row['95%']} ms, p99 {row['99%']} ms")
    for kind, (acked, once) in checked.items():
        print(f"  {kind}: {acked} acknowledged, {once} stored exactly once")
    ok = failures == 0 and all(acked > 0 and acked == once for acked, once in checked.values())
    print("  result:", "PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
