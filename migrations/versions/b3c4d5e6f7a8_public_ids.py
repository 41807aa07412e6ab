"""public ids: a random UUID for every practice and profile (the HSDS export's ids)

Revision ID: b3c4d5e6f7a8
Revises: 6cb58d5f5c76
Create Date: 2026-12-01 21:00:00

"""
import uuid

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b3c4d5e6f7a8'
down_revision = '6cb58d5f5c76'
branch_labels = None
depends_on = None

#: Only while existing rows are filled in: every row then gets its own random id.
PLACEHOLDER = '00000000-0000-0000-0000-000000000000'
TABLES = ('tenant', 'practitioner')


def upgrade():
    bind = op.get_bind()
    for name in TABLES:
        # Plain ADD COLUMN (a batch rebuild of practitioner would cascade into its children on
        # SQLite); NOT NULL needs a default for the rows already there, replaced just below.
        op.add_column(name, sa.Column('public_id', sa.Uuid(), nullable=False,
                                      server_default=PLACEHOLDER))
        table = sa.table(name, sa.column('id', sa.Integer()), sa.column('public_id', sa.Uuid()))
        ids = bind.execute(sa.select(table.c.id)).scalars().all()
        if ids:
            bind.execute(
                table.update().where(table.c.id == sa.bindparam('row'))
                .values(public_id=sa.bindparam('new')),
                [{'row': row, 'new': uuid.uuid4()} for row in ids],
            )
        if bind.dialect.name != 'sqlite':  # SQLite cannot drop a default without a rebuild
            op.alter_column(name, 'public_id', server_default=None)
        op.create_index(f'uq_{name}_public_id', name, ['public_id'], unique=True)


def downgrade():
    for name in TABLES:
        op.drop_index(f'uq_{name}_public_id', table_name=name)
        op.drop_column(name, 'public_id')
