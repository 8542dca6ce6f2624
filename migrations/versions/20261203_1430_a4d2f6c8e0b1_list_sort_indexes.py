"""list: the name's Vietnamese sort key stored (and filled in for every facility), and
indexes for each of the list's sorts, in the whole country and in one province

Revision ID: a4d2f6c8e0b1
Revises: e1c5a7d3b9f2
Create Date: 2026-12-03 14:30:00

"""

import sqlalchemy as sa
from alembic import op

from registry.text import sort_key

# revision identifiers, used by Alembic.
revision = "a4d2f6c8e0b1"
down_revision = "e1c5a7d3b9f2"
branch_labels = None
depends_on = None

BATCH = 2000


def upgrade():
    # Added as a plain column and indexes: rebuilding the table (SQLite's batch mode) would
    # fail the foreign keys that point at it.
    op.add_column("facilities", sa.Column("name_key", sa.LargeBinary(), nullable=True))
    bind = op.get_bind()
    facilities = sa.table(
        "facilities",
        sa.column("id", sa.Integer),
        sa.column("name", sa.String),
        sa.column("name_key", sa.LargeBinary),
    )
    rows = bind.execute(sa.select(facilities.c.id, facilities.c.name)).all()
    for start in range(0, len(rows), BATCH):
        bind.execute(
            facilities.update()
            .where(facilities.c.id == sa.bindparam("fid"))
            .values(name_key=sa.bindparam("key")),
            [
                {"fid": fid, "key": sort_key(name or "")}
                for fid, name in rows[start : start + BATCH]
            ],
        )
    op.create_index("ix_facilities_name_key", "facilities", ["name_key"])
    op.create_index("ix_facilities_province_name_key", "facilities", ["province_code", "name_key"])
    op.create_index("ix_facilities_design_capacity", "facilities", ["design_capacity"])
    op.create_index("ix_facilities_residents", "facilities", ["residents"])
    op.create_index("ix_facilities_updated_at", "facilities", ["updated_at"])


def downgrade():
    for name in (
        "ix_facilities_updated_at",
        "ix_facilities_residents",
        "ix_facilities_design_capacity",
        "ix_facilities_province_name_key",
        "ix_facilities_name_key",
    ):
        op.drop_index(name, table_name="facilities")
    op.drop_column("facilities", "name_key")
