"""slugs are indexed by lower(slug) (a name already taken while a seed makes listings)

Revision ID: a1b2c3d4e5f7
Revises: e8f9a0b1c2d3
Create Date: 2026-12-08 01:00:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = 'a1b2c3d4e5f7'
down_revision = 'e8f9a0b1c2d3'
branch_labels = None
depends_on = None


def upgrade():
    # validation.unique_slug asks `lower(slug) IN (...)`; its LIKE 'name-%' read every row
    # for each name already taken (100,000 practitioners at the demo's scale).
    op.create_index('ix_practitioner_lower_slug', 'practitioner', [sa.text('lower(slug)')])
    op.create_index('ix_tenant_lower_slug', 'tenant', [sa.text('lower(slug)')])


def downgrade():
    op.drop_index('ix_tenant_lower_slug', table_name='tenant')
    op.drop_index('ix_practitioner_lower_slug', table_name='practitioner')
