"""practices: invitations and logos

Revision ID: 1a305d9f9573
Revises: 331ad692c35a
Create Date: 2026-11-26 22:40:27.068698

"""
from alembic import op
import sqlalchemy as sa

import directory.db  # noqa: F401  (column types)


# revision identifiers, used by Alembic.
revision = '1a305d9f9573'
down_revision = '331ad692c35a'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('invitation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('practitioner_id', sa.Integer(), nullable=True),
    sa.Column('invited_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', directory.db.UTCDateTime(), nullable=False),
    sa.Column('expires_at', directory.db.UTCDateTime(), nullable=False),
    sa.Column('accepted_at', directory.db.UTCDateTime(), nullable=True),
    sa.Column('accepted_by_id', sa.Integer(), nullable=True),
    sa.Column('revoked_at', directory.db.UTCDateTime(), nullable=True),
    sa.CheckConstraint("role IN ('manager', 'therapist')", name=op.f('ck_invitation_role')),
    sa.ForeignKeyConstraint(['accepted_by_id'], ['user.id'], name=op.f('fk_invitation_accepted_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['invited_by_id'], ['user.id'], name=op.f('fk_invitation_invited_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['practitioner_id'], ['practitioner.id'], name=op.f('fk_invitation_practitioner_id_practitioner'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], name=op.f('fk_invitation_tenant_id_tenant'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invitation')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_invitation_token_hash'))
    )
    op.create_index('ix_invitation_tenant_email', 'invitation', ['tenant_id', 'email'])
    op.create_index(op.f('ix_invitation_tenant_id'), 'invitation', ['tenant_id'])
    # A plain ADD COLUMN: a batch rebuild of `tenant` would cascade into its children on SQLite.
    op.add_column('tenant', sa.Column('logo', sa.String(length=40), nullable=True))


def downgrade():
    op.drop_column('tenant', 'logo')
    op.drop_index(op.f('ix_invitation_tenant_id'), table_name='invitation')
    op.drop_index('ix_invitation_tenant_email', table_name='invitation')
    op.drop_table('invitation')
