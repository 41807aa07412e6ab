"""listings from public records: unclaimed listings and practices, where each came from, the
removal registry, and license numbers kept in the form rosters and NPPES are matched on

Revision ID: b9c0d1e2f3a4
Revises: a8b9c0d1e2f3
Create Date: 2026-12-07 19:00:00

"""
import warnings

from alembic import op
import sqlalchemy as sa

from directory.db import UTCDateTime


# revision identifiers, used by Alembic.
revision = 'b9c0d1e2f3a4'
down_revision = 'a8b9c0d1e2f3'
branch_labels = None
depends_on = None


def _number_keys():
    # licensing.number_key is Python (leading zeros after a letter prefix): computed here, a
    # batch of updates at a time.
    from directory import licensing

    bind = op.get_bind()
    license = sa.table('license', sa.column('id', sa.Integer), sa.column('number', sa.String),
                       sa.column('number_key', sa.String))
    last = 0
    while True:
        rows = bind.execute(
            sa.select(license.c.id, license.c.number).where(license.c.id > last)
            .order_by(license.c.id).limit(5000)
        ).all()
        if not rows:
            return
        bind.execute(
            license.update().where(license.c.id == sa.bindparam('b_id'))
            .values(number_key=sa.bindparam('b_key')),
            [{'b_id': r.id, 'b_key': licensing.number_key(r.number)} for r in rows],
        )
        last = rows[-1].id


def upgrade():
    with warnings.catch_warnings():
        # Making a column nullable rebuilds the table on SQLite, reflecting its neighbours
        # (user's expression index cannot be reflected, and need not be: it is not rebuilt).
        warnings.filterwarnings('ignore', 'Skipped unsupported reflection')
        _upgrade()


def _upgrade():
    # Nullable columns, and boolean ones with a server default: existing profiles and
    # practices are their owners' (claimed).
    with op.batch_alter_table('practitioner', schema=None) as batch_op:
        batch_op.add_column(sa.Column('claimed', sa.Boolean(), server_default=sa.true(),
                                      nullable=False))
        batch_op.alter_column('setting', existing_type=sa.String(length=8), nullable=True)
    with op.batch_alter_table('tenant', schema=None) as batch_op:
        batch_op.add_column(sa.Column('claimed', sa.Boolean(), server_default=sa.true(),
                                      nullable=False))
    with op.batch_alter_table('license', schema=None) as batch_op:
        batch_op.add_column(sa.Column('number_key', sa.String(length=40), nullable=True))
        batch_op.alter_column('expires_on', existing_type=sa.Date(), nullable=True)
    _number_keys()
    with op.batch_alter_table('license', schema=None) as batch_op:
        batch_op.create_index('ix_license_state_number_key', ['state', 'number_key'],
                              unique=False)

    op.create_table(
        'listing_source',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('practitioner_id', sa.Integer(), nullable=True),
        sa.Column('tenant_id', sa.Integer(), nullable=True),
        sa.Column('source', sa.String(length=20), nullable=False),
        sa.Column('key', sa.String(length=60), nullable=False),
        sa.Column('file_date', sa.Date(), nullable=False),
        sa.Column('record', sa.JSON(), nullable=True),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.CheckConstraint('(practitioner_id IS NULL) <> (tenant_id IS NULL)',
                           name=op.f('ck_listing_source_listing_or_practice')),
        sa.ForeignKeyConstraint(['practitioner_id'], ['practitioner.id'],
                                name=op.f('fk_listing_source_practitioner_id_practitioner'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'],
                                name=op.f('fk_listing_source_tenant_id_tenant'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_listing_source')),
        sa.UniqueConstraint('source', 'key', name='uq_listing_source_key'),
    )
    with op.batch_alter_table('listing_source', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_listing_source_practitioner_id'),
                              ['practitioner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_listing_source_tenant_id'), ['tenant_id'],
                              unique=False)

    op.create_table(
        'listing_removal',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('npi', sa.String(length=10), nullable=True),
        sa.Column('state', sa.String(length=2), nullable=True),
        sa.Column('number_key', sa.String(length=40), nullable=True),
        sa.Column('reason', sa.String(length=500), nullable=False),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            'npi IS NOT NULL OR (state IS NOT NULL AND number_key IS NOT NULL)',
            name=op.f('ck_listing_removal_npi_or_license'),
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_listing_removal')),
    )
    with op.batch_alter_table('listing_removal', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_listing_removal_npi'), ['npi'], unique=False)
        batch_op.create_index('ix_listing_removal_license', ['state', 'number_key'],
                              unique=False)


def downgrade():
    op.drop_table('listing_removal')
    op.drop_table('listing_source')
    with op.batch_alter_table('license', schema=None) as batch_op:
        batch_op.drop_index('ix_license_state_number_key')
        batch_op.drop_column('number_key')
    with op.batch_alter_table('tenant', schema=None) as batch_op:
        batch_op.drop_column('claimed')
    with op.batch_alter_table('practitioner', schema=None) as batch_op:
        batch_op.drop_column('claimed')
