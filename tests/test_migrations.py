"""Migrations: they build the schema the models describe, from empty."""

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

from navigator import db


def test_migrations_match_the_models(tmp_path):
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    db.upgrade(url, tmp_path)
    db.load_models()
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}),
                                SQLModel.metadata)
    engine.dispose()
    assert not diff, f"models and migrations differ; write a migration: {diff}"


def test_upgrading_drops_quiz_attempts_that_were_never_sent(tmp_path):
    """Old releases stored an attempt per quiz page view; the upgrade keeps only sent ones."""
    from alembic import command

    url = f"sqlite:///{tmp_path / 'old.db'}"
    command.upgrade(db.alembic_config(url), "b8e2d4f6a913")
    engine = sa.create_engine(url)  # SQLite enforces no foreign keys on a plain connection
    with engine.begin() as conn:
        for key, sent in (("1-1-viewed", None), ("1-1-sent", "2026-11-30 10:00:00")):
            conn.execute(sa.text(
                "INSERT INTO quizattempt (attempt_key, user_id, quiz_id, locale, \"order\", "
                "answers, started_at, submitted_at, score, passed) VALUES "
                "(:key, 1, 1, 'en', '{}', '{}', '2026-11-30 09:00:00', :sent, 80, 1)"),
                {"key": key, "sent": sent})
    command.upgrade(db.alembic_config(url), "head")
    with engine.connect() as conn:
        kept = conn.execute(sa.text("SELECT attempt_key FROM quizattempt")).scalars().all()
    engine.dispose()
    assert kept == ["1-1-sent"]
