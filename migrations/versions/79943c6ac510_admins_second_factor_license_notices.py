"""admins: second factor, license notices

Revision ID: 79943c6ac510
Revises: 1a305d9f9573
Create Date: 2026-11-26 23:09:45.770971

"""
from alembic import op
import sqlalchemy as sa

import directory.db  # noqa: F401  (column types)


# revision identifiers, used by Alembic.
revision = '79943c6ac510'
down_revision = '1a305d9f9573'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('license_notice',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('license_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('expires_on', sa.Date(), nullable=False),
    sa.Column('sent_at', directory.db.UTCDateTime(), nullable=False),
    sa.Column('sent_to', sa.String(length=1000), nullable=False),
    sa.CheckConstraint("kind IN ('expiring', 'expired')", name=op.f('ck_license_notice_kind')),
    sa.ForeignKeyConstraint(['license_id'], ['license.id'], name=op.f('fk_license_notice_license_id_license'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_license_notice')),
    sa.UniqueConstraint('license_id', 'kind', 'expires_on', name='uq_license_notice_period')
    )
    op.create_index(op.f('ix_license_notice_license_id'), 'license_notice', ['license_id'])
    # `licenses expire` looks licenses up by date every day.
    op.create_index(op.f('ix_license_expires_on'), 'license', ['expires_on'])
    # Plain ADD COLUMN: a batch rebuild of `user` would cascade into its children on SQLite.
    op.add_column('user', sa.Column('totp_secret', sa.String(length=64), nullable=True))
    op.add_column('user', sa.Column('totp_last_step', sa.Integer(), nullable=True))


def downgrade():
    op.drop_index(op.f('ix_license_expires_on'), table_name='license')
    op.drop_column('user', 'totp_last_step')
    op.drop_column('user', 'totp_secret')
    op.drop_index(op.f('ix_license_notice_license_id'), table_name='license_notice')
    op.drop_table('license_notice')
