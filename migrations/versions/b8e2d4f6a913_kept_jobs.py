"""kept jobs: jobs whose arguments wait in the database until done (e-mail)

Revision ID: b8e2d4f6a913
Revises: f15a7e1c0d42
Create Date: 2026-12-07 01:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = 'b8e2d4f6a913'
down_revision: str | None = 'f15a7e1c0d42'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('job_kept',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('job', sa.String(length=200), nullable=False),
    sa.Column('data', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.Float(), nullable=False),
    sa.Column('due_at', sa.Float(), nullable=False),
    sa.Column('touched_at', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_job_kept'))
    )


def downgrade() -> None:
    op.drop_table('job_kept')
