"""purge unsubmitted quiz attempts

Revision ID: c9d1f0e2a7b4
Revises: b8e2d4f6a913
Create Date: 2026-12-07 01:30:00.000000

Before this release every quiz page view stored an attempt row; attempts are now stored only
when sent. The rows left by views that were never sent hold no answers and count nowhere.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'c9d1f0e2a7b4'
down_revision: str | None = 'b8e2d4f6a913'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    attempts = sa.table("quizattempt", sa.column("submitted_at"))
    op.execute(attempts.delete().where(attempts.c.submitted_at.is_(None)))


def downgrade() -> None:
    pass  # the rows removed were never used: there is nothing to put back
