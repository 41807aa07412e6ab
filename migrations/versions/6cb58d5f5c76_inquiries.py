"""inquiries (messages from clients), their limits and sender blocks; email private by default

Revision ID: 6cb58d5f5c76
Revises: a7b2c9d4e5f6
Create Date: 2026-12-01 18:21:15.835469

"""
from alembic import op
import sqlalchemy as sa

import directory.db  # noqa: F401  (column types)


# revision identifiers, used by Alembic.
revision = '6cb58d5f5c76'
down_revision = 'a7b2c9d4e5f6'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('inquiry_attempt',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', directory.db.UTCDateTime(), nullable=False),
    sa.Column('ip_key', sa.String(length=64), nullable=False),
    sa.Column('recipient', sa.String(length=24), nullable=False),
    sa.Column('sender_key', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inquiry_attempt'))
    )
    with op.batch_alter_table('inquiry_attempt', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inquiry_attempt_created_at'), ['created_at'], unique=False)
        batch_op.create_index('ix_inquiry_attempt_ip_key_created_at', ['ip_key', 'created_at'], unique=False)
        batch_op.create_index('ix_inquiry_attempt_recipient_created_at', ['recipient', 'created_at'], unique=False)
        batch_op.create_index('ix_inquiry_attempt_sender_key_created_at', ['sender_key', 'created_at'], unique=False)

    op.create_table('inquiry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('practitioner_id', sa.Integer(), nullable=True),
    sa.Column('recipient_user_id', sa.Integer(), nullable=True),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('sender_name', sa.String(length=120), nullable=False),
    sa.Column('sender_email', sa.String(length=254), nullable=False),
    sa.Column('sender_phone', sa.String(length=40), nullable=False),
    sa.Column('preferred_contact', sa.String(length=8), nullable=False),
    sa.Column('condition_id', sa.Integer(), nullable=True),
    sa.Column('body', sa.Text(), nullable=True),
    sa.Column('created_at', directory.db.UTCDateTime(), nullable=False),
    sa.Column('read_at', directory.db.UTCDateTime(), nullable=True),
    sa.Column('replied_at', directory.db.UTCDateTime(), nullable=True),
    sa.Column('archived_at', directory.db.UTCDateTime(), nullable=True),
    sa.Column('spam_at', directory.db.UTCDateTime(), nullable=True),
    sa.Column('withdrawn_at', directory.db.UTCDateTime(), nullable=True),
    sa.Column('purged_at', directory.db.UTCDateTime(), nullable=True),
    sa.CheckConstraint("preferred_contact IN ('email', 'phone')", name=op.f('ck_inquiry_preferred_contact')),
    sa.ForeignKeyConstraint(['condition_id'], ['condition.id'], name=op.f('fk_inquiry_condition_id_condition'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['practitioner_id'], ['practitioner.id'], name=op.f('fk_inquiry_practitioner_id_practitioner'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['recipient_user_id'], ['user.id'], name=op.f('fk_inquiry_recipient_user_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], name=op.f('fk_inquiry_tenant_id_tenant'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inquiry')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_inquiry_token_hash'))
    )
    with op.batch_alter_table('inquiry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inquiry_condition_id'), ['condition_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_inquiry_created_at'), ['created_at'], unique=False)
        batch_op.create_index('ix_inquiry_practitioner_id_created_at', ['practitioner_id', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_inquiry_recipient_user_id'), ['recipient_user_id'], unique=False)
        batch_op.create_index('ix_inquiry_tenant_id_created_at', ['tenant_id', 'created_at'], unique=False)

    op.create_table('sender_block',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('practitioner_id', sa.Integer(), nullable=True),
    sa.Column('email_key', sa.String(length=254), nullable=False),
    sa.Column('created_at', directory.db.UTCDateTime(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_sender_block_created_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['practitioner_id'], ['practitioner.id'], name=op.f('fk_sender_block_practitioner_id_practitioner'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], name=op.f('fk_sender_block_tenant_id_tenant'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sender_block')),
    sa.UniqueConstraint('tenant_id', 'email_key', 'practitioner_id', name='uq_sender_block_for')
    )
    with op.batch_alter_table('sender_block', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sender_block_practitioner_id'), ['practitioner_id'], unique=False)

    # mail_message has no children: its batch rebuild (for the foreign key) touches nothing else.
    with op.batch_alter_table('mail_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reply_to', sa.String(length=254), server_default='', nullable=False))
        batch_op.add_column(sa.Column('inquiry_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_mail_message_inquiry_id'), ['inquiry_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_mail_message_inquiry_id_inquiry'), 'inquiry', ['inquiry_id'], ['id'], ondelete='SET NULL')

    # Plain ADD COLUMN (a batch rebuild of practitioner would cascade into its children on
    # SQLite). Every existing profile starts with its email hidden: the therapist opts in.
    op.add_column('practitioner', sa.Column('show_email', sa.Boolean(), nullable=False,
                                            server_default=sa.false()))


def downgrade():
    op.drop_column('practitioner', 'show_email')

    with op.batch_alter_table('mail_message', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_mail_message_inquiry_id_inquiry'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_mail_message_inquiry_id'))
        batch_op.drop_column('inquiry_id')
        batch_op.drop_column('reply_to')

    with op.batch_alter_table('sender_block', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sender_block_practitioner_id'))

    op.drop_table('sender_block')
    with op.batch_alter_table('inquiry', schema=None) as batch_op:
        batch_op.drop_index('ix_inquiry_tenant_id_created_at')
        batch_op.drop_index(batch_op.f('ix_inquiry_recipient_user_id'))
        batch_op.drop_index('ix_inquiry_practitioner_id_created_at')
        batch_op.drop_index(batch_op.f('ix_inquiry_created_at'))
        batch_op.drop_index(batch_op.f('ix_inquiry_condition_id'))

    op.drop_table('inquiry')
    with op.batch_alter_table('inquiry_attempt', schema=None) as batch_op:
        batch_op.drop_index('ix_inquiry_attempt_sender_key_created_at')
        batch_op.drop_index('ix_inquiry_attempt_recipient_created_at')
        batch_op.drop_index('ix_inquiry_attempt_ip_key_created_at')
        batch_op.drop_index(batch_op.f('ix_inquiry_attempt_created_at'))

    op.drop_table('inquiry_attempt')
