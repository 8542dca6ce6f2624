"""read model: words a reader without the confidential permission may search; scenario
items that change an existing facility refer to it instead of copying its point

Revision ID: 5d1e0c7a9b21
Revises: 81da2ec910f4
Create Date: 2026-12-02 09:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '5d1e0c7a9b21'
down_revision = '81da2ec910f4'
branch_labels = None
depends_on = None


def upgrade():
    # Plain ALTER TABLE (SQLite 3.35+ and PostgreSQL): a batch copy of the spatial table
    # would trip over SpatiaLite's triggers and the foreign keys that point at it.
    op.add_column('facilities', sa.Column('search_public', sa.Text(), nullable=False,
                                          server_default=''))
    from registry.text import fold

    conn = op.get_bind()
    facilities = sa.table('facilities', sa.column('id', sa.Integer),
                          sa.column('code', sa.String), sa.column('name', sa.String),
                          sa.column('managing_body', sa.String),
                          sa.column('search_public', sa.Text))
    rows = conn.execute(sa.select(facilities.c.id, facilities.c.code, facilities.c.name,
                                  facilities.c.managing_body)).all()
    for fid, code, name, body in rows:
        words = " ".join(fold(p) for p in (code or "", name or "", body or "") if p)
        conn.execute(facilities.update().where(facilities.c.id == fid)
                     .values(search_public=words))
    items = sa.table('scenario_items', sa.column('action', sa.String),
                     sa.column('lon', sa.Float), sa.column('lat', sa.Float))
    conn.execute(items.update().where(items.c.action != 'add').values(lon=None, lat=None))


def downgrade():
    op.drop_column('facilities', 'search_public')
