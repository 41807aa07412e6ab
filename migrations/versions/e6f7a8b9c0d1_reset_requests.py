"""password-reset requests are counted (limits per address and network, a note a day)

Revision ID: e6f7a8b9c0d1
Revises: d5e6f7a8b9c0
Create Date: 2026-12-07 09:30:00

"""
from alembic import op
import sqlalchemy as sa

import directory.db  # noqa: F401  (column types)


# revision identifiers, used by Alembic.
revision = 'e6f7a8b9c0d1'
down_revision = 'd5e6f7a8b9c0'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('reset_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', directory.db.UTCDateTime(), nullable=False),
    sa.Column('email_key', sa.String(length=254), nullable=False),
    sa.Column('ip', sa.String(length=64), nullable=False),
    sa.Column('network', sa.String(length=64), nullable=False),
    sa.Column('mailed', sa.String(length=8), nullable=False),
    sa.Column('repeats', sa.Integer(), nullable=False),
    sa.CheckConstraint("mailed IN ('link', 'note', '')", name=op.f('ck_reset_request_mailed')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reset_request'))
    )
    with op.batch_alter_table('reset_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reset_request_created_at'), ['created_at'], unique=False)
        batch_op.create_index('ix_reset_request_email_key_created_at', ['email_key', 'created_at'], unique=False)
        batch_op.create_index('ix_reset_request_ip_created_at', ['ip', 'created_at'], unique=False)
        batch_op.create_index('ix_reset_request_network_created_at', ['network', 'created_at'], unique=False)


def downgrade():
    with op.batch_alter_table('reset_request', schema=None) as batch_op:
        batch_op.drop_index('ix_reset_request_network_created_at')
        batch_op.drop_index('ix_reset_request_ip_created_at')
        batch_op.drop_index('ix_reset_request_email_key_created_at')
        batch_op.drop_index(batch_op.f('ix_reset_request_created_at'))

    op.drop_table('reset_request')
