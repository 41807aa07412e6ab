"""sign-in attempts record their network (an IPv4 /24, an IPv6 /48)

Revision ID: d5e6f7a8b9c0
Revises: c4d5e6f7a8b9
Create Date: 2026-12-07 09:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd5e6f7a8b9c0'
down_revision = 'c4d5e6f7a8b9'
branch_labels = None
depends_on = None


def upgrade():
    # Attempts from before have no network (""): they are kept a day and count as one network.
    op.add_column('login_attempt', sa.Column('network', sa.String(length=64), nullable=False,
                                             server_default=''))


def downgrade():
    with op.batch_alter_table('login_attempt', schema=None) as batch_op:
        batch_op.drop_column('network')
