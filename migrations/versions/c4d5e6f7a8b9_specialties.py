"""specialty credentials: records with evidence, decided by admins like licenses

Revision ID: c4d5e6f7a8b9
Revises: b3c4d5e6f7a8
Create Date: 2026-12-07 02:00:00

"""
from alembic import op
import sqlalchemy as sa

from directory.db import UTCDateTime


# revision identifiers, used by Alembic.
revision = 'c4d5e6f7a8b9'
down_revision = 'b3c4d5e6f7a8'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'specialty',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('practitioner_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('issuer', sa.String(length=120), nullable=False),
        sa.Column('number', sa.String(length=60), nullable=False),
        sa.Column('issued_on', sa.Date(), nullable=True),
        sa.Column('expires_on', sa.Date(), nullable=True),
        sa.Column('document', sa.String(length=60), nullable=True),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('reviewer_id', sa.Integer(), nullable=True),
        sa.Column('reviewed_at', UTCDateTime(), nullable=True),
        sa.Column('note', sa.String(length=500), nullable=True),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.Column('updated_at', UTCDateTime(), nullable=False),
        sa.CheckConstraint("status IN ('pending', 'verified', 'rejected')",
                           name=op.f('ck_specialty_status')),
        sa.ForeignKeyConstraint(['practitioner_id'], ['practitioner.id'],
                                name=op.f('fk_specialty_practitioner_id_practitioner'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['reviewer_id'], ['user.id'],
                                name=op.f('fk_specialty_reviewer_id_user'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_specialty')),
        sa.UniqueConstraint('practitioner_id', 'kind', name='uq_specialty_practitioner_kind'),
    )
    with op.batch_alter_table('specialty', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_specialty_practitioner_id'), ['practitioner_id'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_specialty_expires_on'), ['expires_on'],
                              unique=False)


def downgrade():
    op.drop_table('specialty')
