"""organization claims: a claim of an NPPES organization (listing_claim.tenant_id), removal
requests without an account (listing_claim.user_id may be empty: the requester's name and
reply address), the link the seed draws from an individual's listing to the organization the
same file places at the same address and phone, and the requests to join that practice

Revision ID: e8f9a0b1c2d3
Revises: a9b8c7d6e5f4
Create Date: 2026-12-07 21:40:00

"""
import warnings

import sqlalchemy as sa
from alembic import op

from directory.db import UTCDateTime


# revision identifiers, used by Alembic.
revision = 'e8f9a0b1c2d3'
down_revision = 'a9b8c7d6e5f4'
branch_labels = None
depends_on = None


def upgrade():
    with warnings.catch_warnings():
        # Altering a column rebuilds the table on SQLite, reflecting its neighbours (user's
        # expression index cannot be reflected, and need not be: it is not rebuilt).
        warnings.filterwarnings('ignore', 'Skipped unsupported reflection')
        _upgrade()


def downgrade():
    with warnings.catch_warnings():
        warnings.filterwarnings('ignore', 'Skipped unsupported reflection')
        _downgrade()


def _upgrade():
    with op.batch_alter_table('listing_claim', schema=None) as batch_op:
        batch_op.add_column(sa.Column('tenant_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('requester_name', sa.String(length=120), nullable=False,
                                      server_default=''))
        batch_op.add_column(sa.Column('requester_email', sa.String(length=254), nullable=True))
        batch_op.alter_column('user_id', existing_type=sa.Integer(), nullable=True)
        batch_op.create_foreign_key('fk_listing_claim_tenant_id', 'tenant', ['tenant_id'],
                                    ['id'], ondelete='SET NULL')
        batch_op.create_index('ix_listing_claim_tenant_status', ['tenant_id', 'status'])
    with op.batch_alter_table('listing_claim_attempt', schema=None) as batch_op:
        batch_op.add_column(sa.Column('tenant_id', sa.Integer(), nullable=True))
        batch_op.alter_column('practitioner_id', existing_type=sa.Integer(), nullable=True)
        batch_op.create_foreign_key('fk_listing_claim_attempt_tenant_id', 'tenant',
                                    ['tenant_id'], ['id'], ondelete='CASCADE')
        batch_op.create_index('ix_claim_attempt_tenant', ['tenant_id', 'created_at'])
    with op.batch_alter_table('listing_source', schema=None) as batch_op:
        batch_op.add_column(sa.Column('organization_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_listing_source_organization_id', 'tenant',
                                    ['organization_id'], ['id'], ondelete='SET NULL')
        batch_op.create_index('ix_listing_source_organization_id', ['organization_id'])
    op.create_table(
        'practice_join',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('tenant_id', sa.Integer(), nullable=False),
        sa.Column('practitioner_id', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('decided_by_id', sa.Integer(), nullable=True),
        sa.Column('decided_at', UTCDateTime(), nullable=True),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.CheckConstraint("status IN ('pending', 'approved', 'declined', 'withdrawn')",
                           name='status'),
        sa.ForeignKeyConstraint(['user_id'], ['user.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['practitioner_id'], ['practitioner.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['decided_by_id'], ['user.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_practice_join_tenant_status', 'practice_join', ['tenant_id', 'status'])
    op.create_index('ix_practice_join_user_id', 'practice_join', ['user_id'])


def _downgrade():
    op.drop_table('practice_join')
    with op.batch_alter_table('listing_source', schema=None) as batch_op:
        batch_op.drop_index('ix_listing_source_organization_id')
        batch_op.drop_constraint('fk_listing_source_organization_id', type_='foreignkey')
        batch_op.drop_column('organization_id')
    with op.batch_alter_table('listing_claim_attempt', schema=None) as batch_op:
        batch_op.drop_index('ix_claim_attempt_tenant')
        batch_op.drop_constraint('fk_listing_claim_attempt_tenant_id', type_='foreignkey')
        batch_op.alter_column('practitioner_id', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column('tenant_id')
    with op.batch_alter_table('listing_claim', schema=None) as batch_op:
        batch_op.drop_index('ix_listing_claim_tenant_status')
        batch_op.drop_constraint('fk_listing_claim_tenant_id', type_='foreignkey')
        batch_op.alter_column('user_id', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column('requester_email')
        batch_op.drop_column('requester_name')
        batch_op.drop_column('tenant_id')
