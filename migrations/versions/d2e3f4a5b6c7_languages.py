"""languages: an account's interface language, a profile's Spanish headline and bio

Revision ID: d2e3f4a5b6c7
Revises: d3e4f5a6b7c8
Create Date: 2026-12-07 19:40:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = 'd2e3f4a5b6c7'
down_revision = 'd3e4f5a6b7c8'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('language', sa.String(length=8), nullable=True))
    with op.batch_alter_table('practitioner', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('headline_es', sa.String(length=160), nullable=False, server_default='')
        )
        batch_op.add_column(sa.Column('bio_es', sa.Text(), nullable=False, server_default=''))


def downgrade():
    with op.batch_alter_table('practitioner', schema=None) as batch_op:
        batch_op.drop_column('bio_es')
        batch_op.drop_column('headline_es')
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('language')
