"""Quiz attempts: their keys, the options' order, grading and sending them."""

import hashlib
import random
import re
import secrets

from sqlmodel import Session, select

from navigator.db import insert_once, utcnow
from navigator.errors import Invalid, NotFound
from navigator.i18n import _
from navigator.learning import items as tallies
from navigator.learning.content import QuizRow
from navigator.learning.models import Quiz, QuizAttempt

# An attempt's key names its person and quiz, so a key that is not stored yet (attempts are
# stored when sent) still belongs to one person: nobody else can send it, or claim it first.
ATTEMPT_KEY = re.compile(r"^(\d{1,11})-(\d{1,11})-[A-Za-z0-9_-]{16}$")


def get_quiz(s: Session, version_id: int, slug: str) -> Quiz:
    quiz = s.exec(select(Quiz).where(Quiz.version_id == version_id, Quiz.slug == slug)).first()
    if quiz is None:
        raise NotFound()
    return quiz


def option_order(quiz: Quiz | QuizRow, attempt_key: str) -> dict[str, list[str]]:
    """Each question's options in the order one attempt shows them: shuffled per attempt, and
    the same every time for the same attempt key, so nothing needs storing before it is sent."""
    seed = hashlib.sha256(f"{quiz.id}:{attempt_key}".encode()).digest()[:8]
    rng = random.Random(int.from_bytes(seed, "big"))
    order = {}
    for q in quiz.key["questions"]:
        options = list(q["options"])
        if q["type"] != "true_false":  # true before false reads naturally everywhere
            rng.shuffle(options)
        order[q["id"]] = options
    return order


def start_attempt(s: Session, user_id: int, quiz: Quiz | QuizRow, locale: str) -> QuizAttempt:
    """A new attempt with the options shuffled for it alone; not stored until it is submitted,
    so a quiz page that is only looked at leaves no row behind."""
    key = f"{user_id}-{quiz.id}-{secrets.token_urlsafe(12)}"
    return QuizAttempt(attempt_key=key, user_id=user_id, quiz_id=quiz.id, locale=locale,
                       order=option_order(quiz, key))


def attempt_to_submit(s: Session, user_id: int, quiz: Quiz | QuizRow, attempt_key: str,
                      locale: str) -> QuizAttempt:
    """The attempt a submitted form names: the stored one if it was sent before (the person's
    own, at this quiz; anything else does not exist), else a new one with that key."""
    attempt = s.exec(select(QuizAttempt).where(QuizAttempt.attempt_key == attempt_key)).first()
    if attempt is None:
        named = ATTEMPT_KEY.match(attempt_key)
        if not named or named.groups() != (str(user_id), str(quiz.id)):
            raise NotFound()
        return QuizAttempt(attempt_key=attempt_key, user_id=user_id, quiz_id=quiz.id,
                           locale=locale, order=option_order(quiz, attempt_key))
    if attempt.user_id != user_id or attempt.quiz_id != quiz.id:
        raise NotFound()
    return attempt


def grade(key: dict, answers: dict[str, list[str]]) -> tuple[dict[str, bool], int]:
    """Which questions are right, and the score in percent; only the server knows the key."""
    results = {}
    for q in key["questions"]:
        chosen = set(answers.get(q["id"], []))
        results[q["id"]] = chosen == set(q["correct"])
    score = round(100 * sum(results.values()) / len(results)) if results else 0
    return results, score


def submit_attempt(s: Session, user_id: int, quiz: Quiz | QuizRow, attempt: QuizAttempt,
                   answers: dict[str, list[str]]) -> QuizAttempt:
    """Grade and store an attempt once; sending the same attempt again returns the first result.

    The attempt key is unique: of two simultaneous submissions, one is stored and the other
    gets the stored result (on SQLite the request's IMMEDIATE transaction already orders them).
    """
    if attempt.user_id != user_id or attempt.quiz_id != quiz.id:
        raise NotFound()
    if attempt.submitted_at is not None:
        return attempt
    valid = {q["id"]: set(q["options"]) for q in quiz.key["questions"]}
    clean = {qid: sorted(set(chosen) & valid[qid]) for qid, chosen in answers.items()
             if qid in valid}
    missing = [qid for qid in valid if not clean.get(qid)]
    if missing:
        raise Invalid(_("Please answer every question."), field=missing[0])
    _results, score = grade(quiz.key, clean)
    attempt.answers = clean
    attempt.score = score
    attempt.passed = score >= quiz.pass_mark
    attempt.submitted_at = utcnow()
    if attempt.id is None and not insert_once(s, attempt):  # sent twice at once: the first won
        return get_attempt(s, user_id, attempt.attempt_key)
    tallies.record(s, quiz.key, attempt)  # item analysis counts it in the same transaction
    return attempt


def get_attempt(s: Session, user_id: int, attempt_key: str) -> QuizAttempt:
    attempt = s.exec(select(QuizAttempt).where(QuizAttempt.attempt_key == attempt_key)).first()
    if attempt is None or attempt.user_id != user_id:
        raise NotFound()  # another person's attempt does not exist, as far as you know
    return attempt
