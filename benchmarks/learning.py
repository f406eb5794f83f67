"""Lesson page speed and weight, in a course of 10 modules, on SQLite.

    .venv/bin/python benchmarks/learning.py [--modules N] [--lessons N] [--runs N]

Writes a course package of N modules of M lessons (each a real lesson from curricula/, with
footnotes, an admonition and a sandbox activity), imports it, signs in a navigator and times a
lesson page in the middle of the course through the real app. Prints the median response time
and the bytes transferred (gzip, as a browser asks) for the page and its stylesheet.

What keeps it light: one small stylesheet, no script, rendered markdown cached per lesson body.
"""

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET_MS = 100
TARGET_KB = 30
LESSON = ROOT / "curricula" / "llm-literacy" / "01-what-is-an-llm" / "lessons" / "02-tokens.en.md"


def _write_course(folder: Path, modules: int, lessons: int) -> Path:
    root = folder / "bench"
    slugs = [f"m{n:02d}" for n in range(1, modules + 1)]
    course = {"id": "bench", "version": 1, "default_locale": "en", "title": "Benchmark course",
              "description": "Ten modules.", "modules": slugs}
    root.mkdir(parents=True)
    (root / "course.yaml").write_text(yaml.safe_dump(course), encoding="utf-8")
    text = LESSON.read_text(encoding="utf-8")
    for slug in slugs:
        names = [f"l{n:02d}" for n in range(1, lessons + 1)]
        (root / slug / "lessons").mkdir(parents=True)
        (root / slug / "module.yaml").write_text(yaml.safe_dump(
            {"title": f"Module {slug}", "summary": "A module.", "lessons": names,
             "references": [{"key": "malgaroli2025", "text": "Malgaroli M, et al. 2025."}]}),
            encoding="utf-8")
        for name in names:
            (root / slug / "lessons" / f"{name}.en.md").write_text(text, encoding="utf-8")
    return root


def _app(instance: Path):
    from sqlmodel import SQLModel

    from navigator import create_app, db

    app = create_app({"INSTANCE_PATH": str(instance), "SECRET_KEY": "benchmark",
                      "DATABASE_URL": f"sqlite:///{instance / 'benchmark.db'}",
                      "CURRICULA_PATH": str(instance), "RATELIMIT_ENABLED": False,
                      "DEMO": False})
    db.load_models()
    SQLModel.metadata.create_all(app.extensions["navigator.db"])
    return app


def _navigator(app, root: Path):
    from sqlmodel import Session

    from navigator.accounts import services as accounts
    from navigator.learning import package, services

    with Session(app.extensions["navigator.db"], expire_on_commit=False) as s:
        programme = accounts.create_programme(s, name="Benchmark programme")
        user = accounts.create_user(s, email="bench-navigator@example.org",
                                    password="plum-kettle-harbour-42",
                                    display_name="Bench Navigator", min_length=10)
        accounts.add_role(s, user, programme, "navigator")
        loaded = package.load_package(root)
        assert not loaded.errors, [str(p) for p in loaded.errors]
        version, _imported = services.import_package(s, loaded)
        services.offer_course(s, programme.id, version.course_id)
        s.commit()
    client = app.test_client()
    from navigator import db
    from navigator.accounts.services import start_session

    with app.app_context(), db.write_session() as s:  # a server-side session, as at sign-in
        key = start_session(s, s.merge(user), hours=12)
    with client.session_transaction() as sess:
        sess["_user_id"] = f"{user.id}.{user.session_nonce}.{key}"
    return client


def _transferred(client, url: str) -> int:
    with client.get(url, headers={"Accept-Encoding": "gzip"}) as response:
        assert response.status_code == 200, (url, response.status_code)
        return len(response.get_data())


def run(modules: int = 10, lessons: int = 5, runs: int = 21) -> list[dict]:
    """Time and weigh a lesson page; one dict per figure with its target."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        app = _app(folder)
        client = _navigator(app, _write_course(folder, modules, lessons))
        middle = f"m{(modules + 1) // 2:02d}"
        url = f"/learn/bench/modules/{middle}/lessons/l{(lessons + 1) // 2:02d}"
        client.get(url)  # warm-up: enrolment made, templates compiled, markdown cached
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            response = client.get(url, headers={"Accept-Encoding": "gzip"})
            response.get_data()
            times.append((time.perf_counter() - started) * 1000)
        size = _transferred(client, url) + _transferred(client, "/static/navigator.css")
        app.extensions["navigator.db"].dispose()
    return [{"figure": f"lesson page, median of {runs} (ms)",
             "value": round(statistics.median(times), 1), "target": TARGET_MS},
            {"figure": "lesson page + stylesheet transferred (KB)",
             "value": round(size / 1024, 1), "target": TARGET_KB}]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--modules", type=int, default=10)
    parser.add_argument("--lessons", type=int, default=5)
    parser.add_argument("--runs", type=int, default=21)
    args = parser.parse_args()
    failed = False
    for row in run(args.modules, args.lessons, args.runs):
        ok = row["value"] <= row["target"]
        failed |= not ok
        print(f"{row['figure']:<45} {row['value']:>8} (target ≤ {row['target']})"
              f"{'' if ok else '  OVER TARGET'}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
