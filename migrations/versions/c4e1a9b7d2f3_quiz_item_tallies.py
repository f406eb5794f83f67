"""quiz item tallies for item analysis

Revision ID: c4e1a9b7d2f3
Revises: a7c3e9d2f410
Create Date: 2026-12-07 12:00:00.000000
"""

from collections import defaultdict
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = 'c4e1a9b7d2f3'
down_revision: str | None = 'a7c3e9d2f410'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('quizitemtally',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('quiz_id', sa.Integer(), nullable=False),
    sa.Column('programme_id', sa.Integer(), nullable=False),
    sa.Column('locale', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('question', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('chosen', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('score_sum', sa.Integer(), nullable=False),
    sa.Column('score_squares', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['programme_id'], ['programme.id'], name=op.f('fk_quizitemtally_programme_id_programme')),
    sa.ForeignKeyConstraint(['quiz_id'], ['quiz.id'], name=op.f('fk_quizitemtally_quiz_id_quiz')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quizitemtally')),
    sa.UniqueConstraint('quiz_id', 'programme_id', 'locale', 'question', 'chosen', name=op.f('uq_quizitemtally_quiz_id_programme_id_locale_question_chosen'))
    )
    with op.batch_alter_table('quizitemtally', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_quizitemtally_programme_id'), ['programme_id'], unique=False)
    _count_existing_attempts()


def _count_existing_attempts() -> None:
    """Tallies for attempts submitted before this migration, by the navigators' programmes
    now (the same arithmetic as navigator.learning.items, written out so that this file
    never changes with the code)."""
    conn = op.get_bind()
    quiz = sa.table('quiz', sa.column('id', sa.Integer), sa.column('key', sa.JSON))
    attempt = sa.table('quizattempt', sa.column('id', sa.Integer), sa.column('user_id', sa.Integer),
                       sa.column('quiz_id', sa.Integer), sa.column('locale', sa.String),
                       sa.column('answers', sa.JSON), sa.column('submitted_at', sa.DateTime))
    membership = sa.table('membership', sa.column('user_id', sa.Integer),
                          sa.column('programme_id', sa.Integer), sa.column('role', sa.String))
    tally = sa.table('quizitemtally', *(sa.column(c) for c in (
        'quiz_id', 'programme_id', 'locale', 'question', 'chosen', 'attempts', 'score_sum',
        'score_squares')))
    keys = dict(conn.execute(sa.select(quiz.c.id, quiz.c.key)).all())
    programmes = defaultdict(list)
    for uid, pid in conn.execute(sa.select(membership.c.user_id, membership.c.programme_id)
                                 .where(membership.c.role == 'navigator')):
        programmes[uid].append(pid)
    sums = defaultdict(lambda: [0, 0, 0])
    rows = conn.execute(sa.select(attempt.c.user_id, attempt.c.quiz_id, attempt.c.locale,
                                  attempt.c.answers)
                        .where(attempt.c.submitted_at.is_not(None)))
    for uid, quiz_id, locale, answers in rows:
        key = keys.get(quiz_id) or {}
        questions = key.get('questions') or []
        chosen = {q['id']: ','.join(sorted(str(o) for o in (answers or {}).get(q['id']) or []))
                  for q in questions}
        score = sum(chosen[q['id']] == ','.join(sorted(str(o) for o in q['correct']))
                    for q in questions)
        for pid in sorted(set(programmes.get(uid, []))):
            for qid, answer in chosen.items():
                total = sums[(quiz_id, pid, locale, qid, answer)]
                total[0] += 1
                total[1] += score
                total[2] += score * score
    names = ('quiz_id', 'programme_id', 'locale', 'question', 'chosen', 'attempts', 'score_sum',
             'score_squares')
    values = [dict(zip(names, (*k, *v), strict=True)) for k, v in sorted(sums.items())]
    if values:
        conn.execute(tally.insert(), values)


def downgrade() -> None:
    with op.batch_alter_table('quizitemtally', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_quizitemtally_programme_id'))

    op.drop_table('quizitemtally')
