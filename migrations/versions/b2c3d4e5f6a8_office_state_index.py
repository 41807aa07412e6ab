"""offices are indexed by state (a state's landing counts read its offices only)

Revision ID: b2c3d4e5f6a8
Revises: a1b2c3d4e5f7
Create Date: 2026-12-08 01:05:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'b2c3d4e5f6a8'
down_revision = 'a1b2c3d4e5f7'
branch_labels = None
depends_on = None


def upgrade():
    # A state's count (public/counts.py) scanned every office three times: 47 -> 6 ms of CPU
    # for Vermont at 100,000 profiles, and the scan grew with the 100,000 listings' offices.
    with op.batch_alter_table('office', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_office_state'), ['state'], unique=False)


def downgrade():
    with op.batch_alter_table('office', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_office_state'))
