"""therapist insights: profile views and search appearances per week, counted in aggregate

Revision ID: c1d2e3f4a5b6
Revises: b9c0d1e2f3a4
Create Date: 2026-12-07 19:45:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c1d2e3f4a5b6'
down_revision = 'b9c0d1e2f3a4'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('insight_count',
    sa.Column('practitioner_id', sa.Integer(), nullable=False),
    sa.Column('week', sa.Date(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('need', sa.String(length=80), nullable=False),
    sa.Column('place', sa.String(length=80), nullable=False),
    sa.Column('n', sa.Integer(), nullable=False),
    sa.CheckConstraint("kind IN ('view', 'appearance')", name=op.f('ck_insight_count_kind')),
    sa.ForeignKeyConstraint(['practitioner_id'], ['practitioner.id'], name=op.f('fk_insight_count_practitioner_id_practitioner'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('practitioner_id', 'week', 'kind', 'need', 'place', name=op.f('pk_insight_count'))
    )


def downgrade():
    op.drop_table('insight_count')
