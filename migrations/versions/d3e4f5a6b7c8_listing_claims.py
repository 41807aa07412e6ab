"""listing claims: claims and removal requests of listings from public records, with their
one-time codes (hashed) and the tries the rate limits count

Revision ID: d3e4f5a6b7c8
Revises: c1d2e3f4a5b6
Create Date: 2026-12-07 20:00:00

"""
from alembic import op
import sqlalchemy as sa

from directory.db import UTCDateTime


# revision identifiers, used by Alembic.
revision = 'd3e4f5a6b7c8'
down_revision = 'c1d2e3f4a5b6'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'listing_claim',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('practitioner_id', sa.Integer(), nullable=True),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('listing_name', sa.String(length=120), nullable=False),
        sa.Column('purpose', sa.String(length=8), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('channel', sa.String(length=10), nullable=True),
        sa.Column('contested', sa.Boolean(), nullable=False),
        sa.Column('code_hash', sa.String(length=64), nullable=True),
        sa.Column('code_expires_at', UTCDateTime(), nullable=True),
        sa.Column('code_failures', sa.Integer(), nullable=False),
        sa.Column('printed_at', UTCDateTime(), nullable=True),
        sa.Column('confirmed_at', UTCDateTime(), nullable=True),
        sa.Column('document', sa.String(length=40), nullable=True),
        sa.Column('note', sa.String(length=1000), nullable=False),
        sa.Column('decided_by_id', sa.Integer(), nullable=True),
        sa.Column('decided_at', UTCDateTime(), nullable=True),
        sa.Column('reason', sa.String(length=500), nullable=False),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.Column('updated_at', UTCDateTime(), nullable=False),
        sa.CheckConstraint("status IN ('open', 'review', 'done', 'refused', 'withdrawn')",
                           name='status'),
        sa.CheckConstraint("purpose IN ('claim', 'remove')", name='purpose'),
        sa.ForeignKeyConstraint(['practitioner_id'], ['practitioner.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['user_id'], ['user.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['decided_by_id'], ['user.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_listing_claim_user_id', 'listing_claim', ['user_id'])
    op.create_index('ix_listing_claim_listing_status', 'listing_claim',
                    ['practitioner_id', 'status'])
    op.create_index('ix_listing_claim_letters', 'listing_claim',
                    ['channel', 'status', 'printed_at'])
    op.create_table(
        'listing_claim_attempt',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('practitioner_id', sa.Integer(), nullable=False),
        sa.Column('success', sa.Boolean(), nullable=False),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['practitioner_id'], ['practitioner.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['user.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_claim_attempt_user', 'listing_claim_attempt', ['user_id', 'created_at'])
    op.create_index('ix_claim_attempt_listing', 'listing_claim_attempt',
                    ['practitioner_id', 'created_at'])


def downgrade():
    op.drop_table('listing_claim_attempt')
    op.drop_table('listing_claim')
