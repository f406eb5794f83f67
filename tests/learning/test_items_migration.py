"""The migration that adds item-analysis tallies counts the attempts submitted before it, as
navigator.learning.items.rebuild does."""

import sqlalchemy as sa
from alembic import command
from sqlmodel import Session, select

from navigator import db
from navigator.learning import items
from navigator.learning.models import QuizItemTally

BEFORE = "a7c3e9d2f410"  # the revision before c4e1a9b7d2f3_quiz_item_tallies


def _rows(s):
    return sorted((t.quiz_id, t.programme_id, t.locale, t.question, t.chosen, t.attempts,
                   t.score_sum, t.score_squares) for t in s.exec(select(QuizItemTally)))


def test_migration_counts_earlier_attempts_like_rebuild(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    command.upgrade(db.alembic_config(url), BEFORE)
    engine = sa.create_engine(url)
    key = ('{"questions": [{"id": "q1", "type": "single", "options": ["a", "b"], '
           '"correct": ["b"]}, {"id": "q2", "type": "true_false", "options": ["true", '
           '"false"], "correct": ["false"]}]}')
    with engine.begin() as conn:
        for sql in (
                "INSERT INTO user (id, email, password_hash, display_name, certificate_name, "
                "locale, is_admin, is_active, session_nonce, created_at) VALUES "
                "(1, 'a@x.org', '!', 'A', '', '', 0, 1, 'n1', '2026-01-01'), "
                "(2, 'b@x.org', '!', 'B', '', '', 0, 1, 'n2', '2026-01-01'), "
                "(3, 'c@x.org', '!', 'C', '', '', 0, 1, 'n3', '2026-01-01')",
                "INSERT INTO programme (id, name, join_code, join_code_enabled, default_locale, "
                "crisis_resources, created_at) VALUES (1, 'P', 'CODE1', 1, 'en', '', "
                "'2026-01-01'), (2, 'Q', 'CODE2', 1, 'en', '', '2026-01-01')",
                "INSERT INTO membership (user_id, programme_id, role, created_at) VALUES "
                "(1, 1, 'navigator', '2026-01-01'), (2, 1, 'navigator', '2026-01-01'), "
                "(2, 2, 'navigator', '2026-01-01'), (3, 1, 'trainer', '2026-01-01')",
                "INSERT INTO course (id, slug, default_locale, created_at) VALUES "
                "(1, 'c', 'en', '2026-01-01')",
                "INSERT INTO courseversion (id, course_id, number, status, texts, track, "
                "final_quiz_slug, created_at) VALUES (1, 1, 1, 'published', '{}', '{}', "
                "'final', '2026-01-01')"):
            conn.exec_driver_sql(sql)
        conn.execute(sa.text(
            "INSERT INTO quiz (id, version_id, slug, pass_mark, key, texts) "
            "VALUES (1, 1, 'final', 50, :key, '{}')"), {"key": key})
        for n, (uid, answers, submitted) in enumerate((
                (1, '{"q1": ["b"], "q2": ["false"]}', "'2026-01-02'"),
                (2, '{"q1": ["a"], "q2": ["false"]}', "'2026-01-02'"),
                (2, '{"q1": ["b"], "q2": ["true"]}', "NULL"),     # never submitted
                (3, '{"q1": ["b"], "q2": ["true"]}', "'2026-01-02'"))):  # a trainer's
            conn.exec_driver_sql(
                "INSERT INTO quizattempt (attempt_key, user_id, quiz_id, locale, \"order\", "
                f"answers, started_at, submitted_at, score, passed) VALUES ('k{n}', {uid}, 1, "
                f"'en', '{{}}', '{answers}', '2026-01-02', {submitted}, 0, 0)")
    engine.dispose()
    db.upgrade(url, tmp_path)
    engine = sa.create_engine(url)
    with Session(engine) as s:
        migrated = _rows(s)
        assert (1, 1, "en", "q1", "b", 1, 2, 4) in migrated
        assert (1, 2, "en", "q1", "a", 1, 1, 1) in migrated  # B counts in both programmes
        assert sum(r[5] for r in migrated if r[1] == 1 and r[3] == "q1") == 2
        items.rebuild(s)
        s.commit()
        assert _rows(s) == migrated
    engine.dispose()
