"""license verification against official rosters: what was checked on each license, a history
row per roster sync, and the licenses a sync queued for an admin

Revision ID: a8b9c0d1e2f3
Revises: f7a8b9c0d1e2
Create Date: 2026-12-07 16:00:00

"""
from alembic import op
import sqlalchemy as sa

from directory.db import UTCDateTime


# revision identifiers, used by Alembic.
revision = 'a8b9c0d1e2f3'
down_revision = 'f7a8b9c0d1e2'
branch_labels = None
depends_on = None


def upgrade():
    # Nullable columns without defaults: SQLite adds them without rebuilding the table.
    with op.batch_alter_table('license', schema=None) as batch_op:
        batch_op.add_column(sa.Column('check_method', sa.String(length=6), nullable=True))
        batch_op.add_column(sa.Column('check_source', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('checked_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('roster_status', sa.String(length=12), nullable=True))
        batch_op.add_column(sa.Column('roster_row', sa.JSON(), nullable=True))
    # A license verified before rosters were read was checked by our staff, on the day of the
    # decision (DESIGN: `staff` for a license an admin or an import verified).
    license = sa.table('license', sa.column('status', sa.String),
                       sa.column('check_method', sa.String), sa.column('checked_on', sa.Date),
                       sa.column('reviewed_at', UTCDateTime), sa.column('updated_at', UTCDateTime))
    moment = sa.func.coalesce(license.c.reviewed_at, license.c.updated_at)
    # One statement: a directory of 100,000 verified licenses migrates at once. SQLite keeps
    # times as text (date() reads it); PostgreSQL casts its timestamp.
    day = sa.func.date(moment) if op.get_bind().dialect.name == 'sqlite' else sa.cast(moment, sa.Date)
    op.execute(
        license.update().where(license.c.status == 'verified')
        .values(check_method='staff', checked_on=day)
    )

    op.create_table(
        'roster_sync',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('source', sa.String(length=20), nullable=False),
        sa.Column('file_name', sa.String(length=255), nullable=False),
        sa.Column('file_date', sa.Date(), nullable=False),
        sa.Column('actor_label', sa.String(length=120), nullable=False),
        sa.Column('started_at', UTCDateTime(), nullable=False),
        sa.Column('finished_at', UTCDateTime(), nullable=True),
        sa.Column('rows', sa.Integer(), nullable=False),
        sa.Column('verified', sa.Integer(), nullable=False),
        sa.Column('lapsed', sa.Integer(), nullable=False),
        sa.Column('queued', sa.Integer(), nullable=False),
        sa.Column('unchanged', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_roster_sync')),
    )
    with op.batch_alter_table('roster_sync', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_roster_sync_source'), ['source'], unique=False)

    op.create_table(
        'license_review',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('license_id', sa.Integer(), nullable=False),
        sa.Column('sync_id', sa.Integer(), nullable=True),
        sa.Column('reason', sa.String(length=20), nullable=False),
        sa.Column('source', sa.String(length=20), nullable=False),
        sa.Column('file_date', sa.Date(), nullable=False),
        sa.Column('roster_status', sa.String(length=12), nullable=True),
        sa.Column('roster_row', sa.JSON(), nullable=True),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.Column('resolved_at', UTCDateTime(), nullable=True),
        sa.CheckConstraint(
            "reason IN ('name_mismatch', 'conditional', 'missing', 'staff_rejected')",
            name=op.f('ck_license_review_reason'),
        ),
        sa.ForeignKeyConstraint(['license_id'], ['license.id'],
                                name=op.f('fk_license_review_license_id_license'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['sync_id'], ['roster_sync.id'],
                                name=op.f('fk_license_review_sync_id_roster_sync'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_license_review')),
    )
    with op.batch_alter_table('license_review', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_license_review_license_id'), ['license_id'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_license_review_sync_id'), ['sync_id'],
                              unique=False)


def downgrade():
    op.drop_table('license_review')
    op.drop_table('roster_sync')
    with op.batch_alter_table('license', schema=None) as batch_op:
        batch_op.drop_column('roster_row')
        batch_op.drop_column('roster_status')
        batch_op.drop_column('checked_on')
        batch_op.drop_column('check_source')
        batch_op.drop_column('check_method')
