"""freshness: the registry's generation token, drawn anew by every commit that changes what
the read model reads, so answers built from it can be kept until it changes

Revision ID: e1c5a7d3b9f2
Revises: b7e4f1a2c9d0
Create Date: 2026-12-03 14:00:00

"""

import uuid

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "e1c5a7d3b9f2"
down_revision = "b7e4f1a2c9d0"
branch_labels = None
depends_on = None


def upgrade():
    table = op.create_table(
        "data_generations",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("token", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_data_generations")),
    )
    op.bulk_insert(table, [{"name": "registry", "token": uuid.uuid4().hex}])


def downgrade():
    op.drop_table("data_generations")
