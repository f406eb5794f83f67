"""navigators' preference choices

Revision ID: f15a7e1c0d42
Revises: 434f178fb4f0
Create Date: 2026-12-06 22:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = 'f15a7e1c0d42'
down_revision: str | None = '434f178fb4f0'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('preferencechoice',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('locale', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('round', sa.Integer(), nullable=False),
    sa.Column('question', sa.Text(), nullable=False),
    sa.Column('chosen', sa.Text(), nullable=False),
    sa.Column('passed', sa.Text(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_preferencechoice_user_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_preferencechoice')),
    sa.UniqueConstraint('user_id', 'locale', 'round', name=op.f('uq_preferencechoice_user_id_locale_round'))
    )
    with op.batch_alter_table('preferencechoice', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_preferencechoice_user_id'), ['user_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('preferencechoice', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_preferencechoice_user_id'))

    op.drop_table('preferencechoice')
