"""per-device sessions, account deactivation, database identity

Revision ID: 2fb398f43eb3
Revises: 79943c6ac510
Create Date: 2026-12-01 14:27:06.469331

"""
import uuid
from datetime import UTC, datetime

from alembic import op
import sqlalchemy as sa

import directory.db  # noqa: F401  (column types)


# revision identifiers, used by Alembic.
revision = '2fb398f43eb3'
down_revision = '79943c6ac510'
branch_labels = None
depends_on = None


def upgrade():
    identity = op.create_table('database_identity',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token', sa.String(length=32), nullable=False),
    sa.Column('created_at', directory.db.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_database_identity'))
    )
    # This database's name, which search indexes record (directory.search.outbox).
    op.bulk_insert(identity, [{"id": 1, "token": uuid.uuid4().hex, "created_at": datetime.now(UTC)}])
    op.create_table('user_session',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', directory.db.UTCDateTime(), nullable=False),
    sa.Column('last_seen_at', directory.db.UTCDateTime(), nullable=False),
    sa.Column('device', sa.String(length=60), nullable=False),
    sa.Column('network', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_user_session_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user_session')),
    sa.UniqueConstraint('key_hash', name=op.f('uq_user_session_key_hash'))
    )
    op.create_index('ix_user_session_user_id_last_seen_at', 'user_session', ['user_id', 'last_seen_at'])
    # Plain ADD COLUMN: a batch rebuild of `user` would cascade into its children on SQLite.
    # Sign-ins from before this revision (cookies naming "user:version") no longer sign in.
    op.add_column('user', sa.Column('deactivated_at', directory.db.UTCDateTime(), nullable=True))


def downgrade():
    op.drop_column('user', 'deactivated_at')
    op.drop_index('ix_user_session_user_id_last_seen_at', table_name='user_session')
    op.drop_table('user_session')
    op.drop_table('database_identity')
