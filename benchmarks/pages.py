"""Learner pages, one at a time, inside one process: SQL statements, writes and CPU per page.

    .venv/bin/python benchmarks/pages.py [--runs N] [--profile PAGE] [--database-url URL]

Imports the shipped course into a temporary database (or a PostgreSQL URL), signs a navigator
in, and asks each learner page through the real app (Flask's test client, no network). For each
page it prints the SQL statements one warm request sends (BEGIN and COMMIT included), how many
of them write, whether one took SQLite's write lock (BEGIN IMMEDIATE), and the median CPU time
of a request (context: the CPU targets are measured in gunicorn's workers by
benchmarks/throughput.py), beside the targets: at most 6 statements, no write, no write lock.
A quiz page view must leave no row behind. Then a whole-course PDF: its first request answers
at once while the job queue makes it; later requests are sent from storage (< 50 ms).

--profile PAGE prints the functions a warm request of that page spends its time in (cProfile).
"""

import argparse
import cProfile
import os
import pstats
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from forms import fill  # noqa: E402
from load import prepare  # noqa: E402

STATEMENTS_TARGET = 6
FIRST_PDF_MS = 500    # a PDF not made yet never holds a web worker for seconds
STORED_PDF_MS = 50
WRITES = re.compile(r"^\s*(INSERT|UPDATE|DELETE)\b", re.I)


class Counter:
    """Every statement the app's engine sends, while counting is on."""

    def __init__(self, engine):
        from sqlalchemy import event

        self.statements: list[str] = []
        self.on = False
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, _conn, _cursor, statement, *_args):
        if self.on:
            self.statements.append(statement)


def _env(tmp: Path, database_url: str) -> dict:
    return {**os.environ, "NAVIGATOR_INSTANCE_PATH": str(tmp / "instance"),
            "NAVIGATOR_DATABASE_URL": database_url or f"sqlite:///{tmp / 'pages.db'}",
            "NAVIGATOR_SECRET_KEY": "pages-benchmark-" + "x" * 32,
            "NAVIGATOR_BASE_URL": "http://127.0.0.1",
            "NAVIGATOR_RATELIMIT_ENABLED": "false", "NAVIGATOR_DEMO": "false"}


def _app(env: dict):
    import sqlalchemy as sa
    from sqlmodel import SQLModel

    from navigator import create_app, db

    app = create_app({k.removeprefix("NAVIGATOR_"): v for k, v in env.items()
                      if k.startswith("NAVIGATOR_") and k != "NAVIGATOR_RATELIMIT_ENABLED"}
                     | {"RATELIMIT_ENABLED": False, "DEMO": False})
    # Tables whose migration is not written yet are created directly, as the tests do.
    db.load_models()
    engine = sa.create_engine(app.extensions["navigator.db"].url.render_as_string(False))
    SQLModel.metadata.create_all(engine, checkfirst=True)
    engine.dispose()
    return app


def _signed_in(app, email: str, password: str):
    """A test client signed in through the sign-in form, as a browser would be."""
    client = app.test_client()
    _action, form = fill(client.get("/sign-in").get_data(as_text=True),
                         {"email": email, "password": password}, "email")
    response = client.post("/sign-in", data=form)
    assert response.status_code == 302, "sign-in failed"
    return client


def pages(client, data: dict) -> dict[str, str]:
    """The learner pages, by name: a lesson in the middle of the course, its module, …"""
    lesson = data["lessons"][len(data["lessons"]) // 2]
    module = lesson.rsplit("/lessons/", 1)[0] + "/"
    course = module.split("/modules/", 1)[0] + "/"
    quiz = data["quizzes"][0]
    # A submitted attempt, for the result page.
    _action, form = fill(client.get(quiz).get_data(as_text=True), field="attempt_key")
    done = client.post(quiz, data=form)
    result = done.headers["Location"]
    return {"catalogue": "/learn/", "course": course, "module": module, "lesson": lesson,
            "quiz": quiz, "result": result, "sandbox": "/sandbox/",
            "outreach": "/outreach/", "outreach form": "/outreach/new",
            "certificates": "/certificates/", "home": "/"}


def _rows(engine, table: str) -> int:
    import sqlalchemy as sa

    with engine.connect() as conn:
        return conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one()


def measure(client, counter: Counter, url: str, runs: int) -> dict:
    """Statements of one warm request, and the median CPU time of `runs` more."""
    response = client.get(url)  # warm-up
    assert response.status_code == 200, (url, response.status_code)
    counter.statements.clear()
    counter.on = True
    client.get(url).get_data()
    counter.on = False
    sent = list(counter.statements)
    cpu = []
    for _ in range(runs):
        start = time.process_time()
        client.get(url).get_data()
        cpu.append((time.process_time() - start) * 1000)
    return {"statements": len(sent), "writes": sum(bool(WRITES.match(s)) for s in sent),
            "immediate": sum("IMMEDIATE" in s for s in sent), "cpu_ms": statistics.median(cpu),
            "sent": sent}


def run(runs: int = 50, database_url: str = "", verbose: bool = False) -> list[dict]:
    """One dict per figure with its target."""
    tmp = Path(tempfile.mkdtemp(prefix="navigator-pages-"))
    env = _env(tmp, database_url)
    data = prepare(env, navigators=2)
    app = _app(env)
    engine = app.extensions["navigator.db"]
    counter = Counter(engine)
    client = _signed_in(app, *data["people"][0])
    rows = []
    for name, url in pages(client, data).items():
        m = measure(client, counter, url, runs)
        if verbose:
            print(f"--- {name} {url}", *m["sent"], sep="\n  ")
        rows += [
            {"name": f"{name} page: SQL statements", "value": m["statements"],
             "target": STATEMENTS_TARGET},
            {"name": f"{name} page: writes on a warm GET", "value": m["writes"], "target": 0},
            {"name": f"{name} page: write locks taken (BEGIN IMMEDIATE)",
             "value": m["immediate"], "target": 0},
            # Context: the targets on CPU are the gunicorn workers' (benchmarks/throughput.py).
            {"name": f"{name} page: CPU per request, in process (ms)",
             "value": round(m["cpu_ms"], 2), "target": None},
        ]
    before = _rows(engine, "quizattempt")
    for _ in range(5):
        client.get(data["quizzes"][1])
    rows.append({"name": "quiz page: rows left by 5 views", "target": 0,
                 "value": _rows(engine, "quizattempt") - before})
    rows += pdf_figures(app, client, data["lessons"][0].split("/")[2])
    engine.dispose()
    return rows


def pdf_figures(app, client, slug: str) -> list[dict]:
    """A whole-course PDF: the first request answers at once (the PDF is made in the job
    queue), the queue makes it, and every later request is sent from storage."""
    from navigator import jobs

    url = f"/learn/{slug}/print?language=en"
    start = time.perf_counter()
    first = client.get(url)
    first_ms = (time.perf_counter() - start) * 1000
    assert first.status_code == 202, first.status_code
    worker = jobs.start_worker(app, workers=1)
    start = time.perf_counter()
    try:
        while (response := client.get(url)).status_code != 200:
            time.sleep(0.1)
    finally:
        worker.stop(graceful=True)
    made_s = time.perf_counter() - start
    response.get_data()
    times = []
    for _ in range(10):
        start = time.perf_counter()
        client.get(url).get_data()
        times.append((time.perf_counter() - start) * 1000)
    return [
        {"name": "course PDF: first request answered in (ms)", "value": round(first_ms, 1),
         "target": FIRST_PDF_MS},
        {"name": "course PDF: made in the job queue in (s)", "value": round(made_s, 1),
         "target": None},
        {"name": "course PDF: later requests, from storage (median ms)",
         "value": round(statistics.median(times), 1), "target": STORED_PDF_MS},
    ]


def profile(page: str, database_url: str = "", runs: int = 200) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="navigator-pages-"))
    env = _env(tmp, database_url)
    data = prepare(env, navigators=2)
    app = _app(env)
    client = _signed_in(app, *data["people"][0])
    url = pages(client, data)[page]
    client.get(url)
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(runs):
        client.get(url).get_data()
    profiler.disable()
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(45)
    pstats.Stats(profiler).sort_stats("tottime").print_stats(25)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--profile", metavar="PAGE", default="")
    parser.add_argument("--verbose", action="store_true", help="print every statement sent")
    args = parser.parse_args()
    if args.profile:
        profile(args.profile, args.database_url)
        return 0
    missed = False
    for row in run(args.runs, args.database_url, args.verbose):
        target = row["target"]
        ok = target is None or row["value"] <= target
        missed |= not ok
        shown = "-" if target is None else f"≤ {target:g}"
        print(f"{row['name']:<58} {row['value']:>8g}  {shown:>7}  {'' if ok else 'MISSED'}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
