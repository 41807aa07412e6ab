"""profile: when the therapist last said whether they accept new clients

Revision ID: 8d4f0b6e2c31
Revises: 5c1e2a7d9b40
Create Date: 2026-12-01 15:35:00

"""
from alembic import op
import sqlalchemy as sa

import directory.db  # noqa: F401  (column types)


# revision identifiers, used by Alembic.
revision = '8d4f0b6e2c31'
down_revision = '5c1e2a7d9b40'
branch_labels = None
depends_on = None


def upgrade():
    # Unknown for existing profiles: their pages say "not confirmed recently" until the
    # therapist confirms from the dashboard.
    op.add_column('practitioner', sa.Column('accepting_confirmed_at', directory.db.UTCDateTime(),
                                            nullable=True))


def downgrade():
    op.drop_column('practitioner', 'accepting_confirmed_at')
