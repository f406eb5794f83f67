"""Item analysis speed: the page over 100,000 submitted attempts of one quiz, on SQLite.

    .venv/bin/python benchmarks/item_analysis.py [--attempts N] [--navigators N] [--runs N]

Imports the shipped course (curricula/llm-literacy), offers it to a programme of N navigators,
and writes N submitted attempts at its final assessment, the largest quiz, in all seven
languages (most in English), answered as people answer: each navigator has an ability, each
question a difficulty, and a wrong answer falls on the distractors unevenly. The tallies are
then counted from the attempts (`navigator.learning.items.rebuild`, the path a migration takes;
submissions add to them one at a time as they come). A trainer signs in and the item analysis
page, and its CSV, are timed through the real app; the median of several runs is printed
beside the target.

What makes it fast: the page reads the tallies (one row per quiz, programme, language,
question and answer given: a few hundred rows), never the attempts themselves.
"""

import argparse
import math
import random
import secrets
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET_MS = 300
LOCALES = (("en", 0.55), ("es", 0.15), ("pt_BR", 0.08), ("fr", 0.08), ("ar", 0.07),
           ("sw", 0.04), ("hi", 0.03))


def _app(instance: Path):
    from sqlmodel import SQLModel

    from navigator import create_app, db

    # Tables straight from the models, as the other benchmarks do: the figure measures the
    # schema in the code.
    app = create_app({"INSTANCE_PATH": str(instance), "SECRET_KEY": "benchmark",
                      "DATABASE_URL": f"sqlite:///{instance / 'benchmark.db'}",
                      "CURRICULA_PATH": str(instance), "RATELIMIT_ENABLED": False,
                      "DEMO": False})
    db.load_models()
    SQLModel.metadata.create_all(app.extensions["navigator.db"])
    return app


def _answer(question: dict, ability: float, difficulty: float, rng: random.Random) -> list:
    """One navigator's answer: right with a logistic chance, else a weighted wrong answer."""
    right = rng.random() < 1 / (1 + math.exp(-1.7 * (ability - difficulty)))
    if right:
        return sorted(question["correct"])
    wrong = [o for o in question["options"] if o not in question["correct"]]
    if question["type"] == "multiple":
        picked = set(question["correct"])
        picked.symmetric_difference_update({rng.choice(question["options"])})
        return sorted(picked) or [rng.choice(wrong)]
    weights = [2 ** -i for i in range(len(wrong))]  # one tempting distractor, the rest less
    return [rng.choices(wrong, weights)[0]]


def _populate(app, attempts: int, navigators: int, seed: int = 12) -> tuple[int, int, int, int]:
    """The course, a programme, its navigators and their attempts; (course, quiz, programme,
    trainer) ids."""
    from sqlmodel import Session, select

    from navigator.accounts import services as accounts
    from navigator.accounts.models import Membership, User
    from navigator.db import utcnow
    from navigator.learning import items, package
    from navigator.learning import services as learning
    from navigator.learning.models import Quiz, QuizAttempt

    rng = random.Random(seed)
    with Session(app.extensions["navigator.db"], expire_on_commit=False) as s:
        version, _new = learning.import_package(
            s, package.load_package(ROOT / "curricula" / "llm-literacy"))
        programme = accounts.create_programme(s, name="Benchmark programme")
        learning.offer_course(s, programme.id, version.course_id)
        trainer = accounts.create_user(s, email="bench-trainer@example.org",
                                       password="plum-kettle-harbour-42",
                                       display_name="Bench Trainer", min_length=10)
        accounts.add_role(s, trainer, programme, "trainer")
        s.execute(User.__table__.insert(), [
            {"email": f"bench-navigator-{i}@example.invalid", "password_hash": "!",
             "display_name": f"Navigator {i}", "certificate_name": "", "locale": "",
             "is_admin": False, "is_active": True, "session_nonce": secrets.token_hex(8),
             "created_at": utcnow()} for i in range(navigators)])
        ids = list(s.exec(select(User.id).where(User.email.like("bench-navigator-%"))))
        s.execute(Membership.__table__.insert(), [
            {"user_id": uid, "programme_id": programme.id, "role": "navigator",
             "created_at": utcnow()} for uid in ids])
        quiz = s.exec(select(Quiz).where(Quiz.version_id == version.id,
                                         Quiz.module_id.is_(None))).one()
        questions = quiz.key["questions"]
        difficulty = {q["id"]: rng.gauss(-0.8, 0.9) for q in questions}
        ability = {uid: rng.gauss(0, 1) for uid in ids}
        codes, weights = zip(*LOCALES, strict=True)
        now = utcnow()
        rows = []
        for n in range(attempts):
            uid = ids[n % len(ids)]
            answers = {q["id"]: _answer(q, ability[uid], difficulty[q["id"]], rng)
                       for q in questions}
            _right, score = learning.grade(quiz.key, answers)
            rows.append({"attempt_key": f"{uid}-{quiz.id}-{n:016d}", "user_id": uid,
                         "quiz_id": quiz.id, "locale": rng.choices(codes, weights)[0],
                         "order": {}, "answers": answers,
                         "started_at": now - timedelta(minutes=n % 5000 + 10),
                         "submitted_at": now - timedelta(minutes=n % 5000), "score": score,
                         "passed": score >= quiz.pass_mark})
            if len(rows) == 5000:
                s.execute(QuizAttempt.__table__.insert(), rows)
                rows = []
        if rows:
            s.execute(QuizAttempt.__table__.insert(), rows)
        started = time.perf_counter()
        counted = items.rebuild(s, [quiz.id])
        print(f"tallies counted from {counted:,} attempts in "
              f"{time.perf_counter() - started:.1f} s", file=sys.stderr)
        s.commit()
        return version.course_id, quiz.id, programme.id, trainer.id


def _client(app, user_id: int):
    from navigator import db
    from navigator.accounts.models import User
    from navigator.accounts.services import start_session

    client = app.test_client()
    with app.app_context(), db.write_session() as s:  # a server-side session, as at sign-in
        user = s.get(User, user_id)
        key = start_session(s, user, hours=12)
        ident = f"{user.id}.{user.session_nonce}.{key}"
    with client.session_transaction() as sess:
        sess["_user_id"] = ident
    return client


def _median_ms(client, url: str, runs: int) -> float:
    response = client.get(url)  # warm-up: templates compiled
    assert response.status_code == 200, (url, response.status_code)
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(url)
        response.get_data()
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    return statistics.median(times)


def run(attempts: int = 100_000, navigators: int = 2_000, runs: int = 7) -> list[dict]:
    """Generate the data and time the page; one dict per figure with its target."""
    with tempfile.TemporaryDirectory() as tmp:
        app = _app(Path(tmp))
        course_id, quiz_id, programme_id, trainer_id = _populate(app, attempts, navigators)
        client = _client(app, trainer_id)
        url = f"/author/courses/{course_id}/items/{quiz_id}?programme={programme_id}"
        page = client.get(url).get_data(as_text=True)
        assert f"{attempts:,}" in page, "the page does not count every attempt"
        label = f"{attempts:,} attempts of the final assessment, {navigators:,} navigators"
        out = [{"name": f"item analysis page ({label})",
                "value": round(_median_ms(client, url, runs), 1), "unit": "ms",
                "target": TARGET_MS},
               {"name": f"item analysis CSV ({label})",
                "value": round(_median_ms(client, url + "&format=csv", runs), 1), "unit": "ms",
                "target": TARGET_MS}]
        app.extensions["navigator.db"].dispose()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--attempts", type=int, default=100_000)
    parser.add_argument("--navigators", type=int, default=2_000)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    for figure in run(args.attempts, args.navigators, args.runs):
        verdict = "ok" if figure["value"] < figure["target"] else "SLOWER THAN TARGET"
        print(f"{figure['name']}: median {figure['value']} {figure['unit']} "
              f"(target < {figure['target']} {figure['unit']}) {verdict}")


if __name__ == "__main__":
    main()
