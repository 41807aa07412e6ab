"""profile: gender a therapist chooses to show

Revision ID: 5c1e2a7d9b40
Revises: 2fb398f43eb3
Create Date: 2026-12-01 15:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5c1e2a7d9b40'
down_revision = '2fb398f43eb3'
branch_labels = None
depends_on = None


def upgrade():
    # Existing profiles show none ("") until their therapist chooses.
    op.add_column('practitioner', sa.Column('gender', sa.String(length=10), nullable=False,
                                            server_default=''))


def downgrade():
    op.drop_column('practitioner', 'gender')
