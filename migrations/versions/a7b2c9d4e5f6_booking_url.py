"""profile: online booking page

Revision ID: a7b2c9d4e5f6
Revises: 8d4f0b6e2c31
Create Date: 2026-12-01 16:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a7b2c9d4e5f6'
down_revision = '8d4f0b6e2c31'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('practitioner', sa.Column('booking_url', sa.String(length=300), nullable=False,
                                            server_default=''))


def downgrade():
    op.drop_column('practitioner', 'booking_url')
