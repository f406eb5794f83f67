"""Outreach report speed: 100,000 activities from 500 navigators, on SQLite.

    .venv/bin/python benchmarks/outreach.py [--activities N] [--navigators N] [--runs N]

Generates the data with `flask outreach generate` into a temporary database, signs in a
manager, and times the report page (and its shared, suppressed variant and the summary CSV)
through the real app. Prints the median of several runs beside its target.

What makes it fast: every figure is one GROUP BY in SQL, filtered by programme and dates on the
covering index ix_outreach_activity_report (programme_id, held_on, site_id, setting,
navigator_id, people), with child tables joined on their (activity_id, key) primary keys.
"""

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

TARGET_MS = 300
PROGRAMME = "Benchmark programme"


def _app(instance: Path):
    from sqlmodel import SQLModel

    from navigator import create_app, db

    # A database URL of our own skips the automatic migration: the tables are made straight
    # from the models, so the figure measures the schema in the code.
    app = create_app({"INSTANCE_PATH": str(instance), "SECRET_KEY": "benchmark",
                      "DATABASE_URL": f"sqlite:///{instance / 'benchmark.db'}",
                      "RATELIMIT_ENABLED": False, "DEMO": False})
    db.load_models()
    SQLModel.metadata.create_all(app.extensions["navigator.db"])
    return app


def _manager_client(app, programme_name: str):
    from sqlmodel import Session, select

    from navigator.accounts import services as accounts
    from navigator.accounts.models import Programme

    with Session(app.extensions["navigator.db"], expire_on_commit=False) as s:
        programme = s.exec(select(Programme).where(Programme.name == programme_name)).one()
        user = accounts.create_user(s, email="bench-manager@example.org",
                                    password="plum-kettle-harbour-42",
                                    display_name="Bench Manager", min_length=10)
        accounts.add_role(s, user, programme, "manager")
        s.commit()
    client = app.test_client()
    from navigator import db
    from navigator.accounts.services import start_session

    with app.app_context(), db.write_session() as s:  # a server-side session, as at sign-in
        key = start_session(s, s.merge(user), hours=12)
    with client.session_transaction() as sess:
        sess["_user_id"] = f"{user.id}.{user.session_nonce}.{key}"
    return client, programme.id


def _median_ms(client, url: str, runs: int) -> float:
    response = client.get(url)  # warm-up: templates compiled, pages cached
    assert response.status_code == 200, (url, response.status_code)
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(url)
        response.get_data()
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    return statistics.median(times)


def run(activities: int = 100_000, navigators: int = 500, runs: int = 7) -> list[dict]:
    """Generate the data and time the report; one dict per figure with its target."""
    with tempfile.TemporaryDirectory() as tmp:
        app = _app(Path(tmp))
        result = app.test_cli_runner().invoke(args=[
            "outreach", "generate", "--activities", str(activities),
            "--navigators", str(navigators), "--programme", PROGRAMME])
        if result.exit_code:
            raise RuntimeError(result.output)
        client, programme_id = _manager_client(app, PROGRAMME)
        base = f"/outreach/programmes/{programme_id}"
        label = f"{activities:,} activities, {navigators} navigators"
        figures = [
            (f"outreach report page ({label})", f"{base}/report"),
            (f"outreach report page, shared with suppression ({label})",
             f"{base}/report?share=y"),
            (f"outreach report page, one site and six months ({label})",
             f"{base}/report?site=1&date_from={_months_ago(6)}"),
            (f"outreach summary CSV ({label})", f"{base}/export/summary.csv"),
        ]
        out = [{"name": name, "value": round(_median_ms(client, url, runs), 1), "unit": "ms",
                "target": TARGET_MS} for name, url in figures]
        app.extensions["navigator.db"].dispose()
    return out


def _months_ago(months: int) -> str:
    from datetime import timedelta

    from navigator.db import utcnow

    return (utcnow().date() - timedelta(days=30 * months)).isoformat()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--activities", type=int, default=100_000)
    parser.add_argument("--navigators", type=int, default=500)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    for figure in run(args.activities, args.navigators, args.runs):
        verdict = "ok" if figure["value"] < figure["target"] else "SLOWER THAN TARGET"
        print(f"{figure['name']}: median {figure['value']} {figure['unit']} "
              f"(target < {figure['target']} {figure['unit']}) {verdict}")


if __name__ == "__main__":
    main()
