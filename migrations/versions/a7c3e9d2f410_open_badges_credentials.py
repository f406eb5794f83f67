"""open badges credentials

Revision ID: a7c3e9d2f410
Revises: dea2f7b6c4cf
Create Date: 2026-12-07 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = 'a7c3e9d2f410'
down_revision: str | None = 'dea2f7b6c4cf'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Each certificate's signed Open Badges 3.0 credential, minted on first use; existing
    # certificates get theirs when first downloaded.
    op.create_table('badge_credential',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('certificate_id', sa.Integer(), nullable=False),
    sa.Column('credential_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('programme_id', sa.Integer(), nullable=False),
    sa.Column('status_list', sa.Integer(), nullable=False),
    sa.Column('status_index', sa.Integer(), nullable=False),
    sa.Column('kid', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('jws', sa.Text(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['certificate_id'], ['certificate.id'], name=op.f('fk_badge_credential_certificate_id_certificate')),
    sa.ForeignKeyConstraint(['programme_id'], ['programme.id'], name=op.f('fk_badge_credential_programme_id_programme')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_badge_credential')),
    sa.UniqueConstraint('certificate_id', name=op.f('uq_badge_credential_certificate_id')),
    sa.UniqueConstraint('credential_id', name=op.f('uq_badge_credential_credential_id')),
    sa.UniqueConstraint('programme_id', 'status_list', 'status_index', name=op.f('uq_badge_credential_programme_id_status_list_status_index'))
    )


def downgrade() -> None:
    op.drop_table('badge_credential')
