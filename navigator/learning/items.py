"""Item-analysis tallies: how often each answer to each question was given, kept as it happens.

A trainer's item analysis must stay fast over 100,000 attempts, and an attempt's answers are a
JSON document per row: reading them all would cost a second or more. So each submitted attempt
adds to a small table instead (QuizItemTally): per quiz, programme, language, question and the
answer given (the option ids chosen), the attempts that gave it, the sum of their whole-quiz
scores and the sum of the squares of those scores. That is all that share correct, option
choices and the point-biserial discrimination need, per language and overall, and a page reads a
few hundred rows however many attempts there are.

An attempt counts for each programme its navigator belongs to (as a navigator) when it is
submitted, as an outreach activity belongs to the programme it was logged in. Only submitted
attempts are counted. `rebuild` recounts from the attempts themselves (after a migration, or to
check the tallies): both paths share `_rows`, so they cannot disagree.
"""

from collections import defaultdict
from collections.abc import Iterable

import sqlalchemy as sa
from sqlmodel import Session, select

from navigator.accounts.models import Membership
from navigator.learning.models import Quiz, QuizAttempt, QuizItemTally

T = QuizItemTally.__table__
KEY = ("quiz_id", "programme_id", "locale", "question", "chosen")
SUMS = ("attempts", "score_sum", "score_squares")
BATCH = 5000


def chosen_key(options: Iterable) -> str:
    """The answer given to one question as one value: option ids, sorted, joined by ','."""
    return ",".join(sorted(str(o) for o in options))


def _rows(key: dict, quiz_id: int, locale: str, answers: dict,
          programme_ids: Iterable[int]) -> list[tuple[tuple, int]]:
    """(tally key, whole-quiz score) for each question of one attempt and each programme."""
    chosen = {q["id"]: chosen_key(answers.get(q["id"]) or []) for q in key["questions"]}
    score = sum(chosen[q["id"]] == chosen_key(q["correct"]) for q in key["questions"])
    return [((quiz_id, pid, locale, qid, answer), score)
            for pid in sorted(set(programme_ids)) for qid, answer in sorted(chosen.items())]


def _navigator_programmes(s: Session, user_ids: Iterable[int]) -> dict[int, list[int]]:
    found: dict[int, list[int]] = defaultdict(list)
    ids = sorted(set(user_ids))
    for start in range(0, len(ids), 500):
        for uid, pid in s.exec(select(Membership.user_id, Membership.programme_id).where(
                Membership.user_id.in_(ids[start:start + 500]),
                Membership.role == "navigator")):
            found[uid].append(pid)
    return found


def _upsert(s: Session, rows: list[dict]) -> None:
    """Add to the tallies in one statement; rows in key order, so that two submissions
    updating the same tallies on PostgreSQL lock them in the same order."""
    if not rows:
        return
    if s.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    stmt = insert(T)
    stmt = stmt.on_conflict_do_update(
        index_elements=[T.c[k] for k in KEY],
        set_={name: T.c[name] + stmt.excluded[name] for name in SUMS})
    s.execute(stmt, sorted(rows, key=lambda r: tuple(r[k] for k in KEY)))


def record(s: Session, key: dict, attempt: QuizAttempt) -> None:
    """Count one attempt just submitted (its answers graded against the quiz's key)."""
    programmes = _navigator_programmes(s, [attempt.user_id]).get(attempt.user_id, [])
    _upsert(s, [{**dict(zip(KEY, k, strict=True)), "attempts": 1, "score_sum": score,
                 "score_squares": score * score}
                for k, score in _rows(key, attempt.quiz_id, attempt.locale, attempt.answers,
                                      programmes)])


def rebuild(s: Session, quiz_ids: Iterable[int] | None = None) -> int:
    """Recount the tallies of some quizzes (all when None) from their submitted attempts,
    with the navigators' programmes as they are now; returns the attempts counted."""
    quizzes = s.exec(select(Quiz.id, Quiz.key).where(
        Quiz.id.in_(list(quiz_ids)) if quiz_ids is not None else sa.true())).all()
    keys = dict(quizzes)
    s.execute(sa.delete(T).where(T.c.quiz_id.in_(list(keys) or [-1])))
    sums: dict[tuple, list[int]] = defaultdict(lambda: [0, 0, 0])
    counted, last_id = 0, 0
    A = QuizAttempt
    while True:
        batch = s.exec(select(A.id, A.user_id, A.quiz_id, A.locale, A.answers).where(
            A.quiz_id.in_(list(keys) or [-1]), A.submitted_at.is_not(None), A.id > last_id)
            .order_by(A.id).limit(BATCH)).all()
        if not batch:
            break
        last_id = batch[-1][0]
        programmes = _navigator_programmes(s, [row[1] for row in batch])
        for _id, uid, quiz_id, locale, answers in batch:
            if uid not in programmes:
                continue
            counted += 1
            for k, score in _rows(keys[quiz_id], quiz_id, locale, answers or {},
                                  programmes[uid]):
                total = sums[k]
                total[0] += 1
                total[1] += score
                total[2] += score * score
    rows = [{**dict(zip(KEY, k, strict=True)), **dict(zip(SUMS, v, strict=True))}
            for k, v in sorted(sums.items())]
    for start in range(0, len(rows), BATCH):
        s.execute(T.insert(), rows[start:start + BATCH])
    return counted


def tallies(s: Session, quiz_id: int, programme_id: int) -> list[tuple[str, str, str, int, int,
                                                                      int]]:
    """(locale, question, chosen, attempts, score sum, score squares) of one programme."""
    return [tuple(row) for row in s.execute(
        sa.select(T.c.locale, T.c.question, T.c.chosen, T.c.attempts, T.c.score_sum,
                  T.c.score_squares)
        .where(T.c.quiz_id == quiz_id, T.c.programme_id == programme_id))]


def attempt_counts(s: Session, quiz_ids: Iterable[int], programme_id: int) -> dict[int, int]:
    """Submitted attempts counted per quiz for one programme (every attempt answers every
    question, so the most answered question's count is the quiz's)."""
    per_question = (sa.select(T.c.quiz_id, sa.func.sum(T.c.attempts).label("n"))
                    .where(T.c.quiz_id.in_(list(quiz_ids) or [-1]),
                           T.c.programme_id == programme_id)
                    .group_by(T.c.quiz_id, T.c.question).subquery())
    return dict(s.execute(sa.select(per_question.c.quiz_id, sa.func.max(per_question.c.n))
                          .group_by(per_question.c.quiz_id)).all())
