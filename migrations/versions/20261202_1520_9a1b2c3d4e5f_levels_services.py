"""facility level, catalogue services and target groups, the dated "supported to the central
criteria" mark of trusted addresses, and the precision of the stored point

Revision ID: 9a1b2c3d4e5f
Revises: c4e8a1f2d6b3
Create Date: 2026-12-02 15:20:00

"""
from alembic import op
import sqlalchemy as sa


revision = '9a1b2c3d4e5f'
down_revision = 'c4e8a1f2d6b3'
branch_labels = None
depends_on = None


def upgrade():
    # Plain ALTER TABLE ADD COLUMN (see the read-model migration: no batch copy of the
    # spatial table).
    op.add_column('facilities', sa.Column('location_precision', sa.String(32), nullable=False,
                                          server_default='exact'))
    op.add_column('facilities', sa.Column('level', sa.String(32), nullable=True))
    op.add_column('facilities', sa.Column('service_codes', sa.JSON(), nullable=False,
                                          server_default='[]'))
    op.add_column('facilities', sa.Column('target_groups', sa.JSON(), nullable=False,
                                          server_default='[]'))
    op.add_column('facilities', sa.Column('criteria_supported_on', sa.Date(), nullable=True))
    facilities = sa.table('facilities', sa.column('location_approximate', sa.Boolean),
                          sa.column('location_source', sa.String),
                          sa.column('location_precision', sa.String))
    # Points typed from a unit's centre were approximate; the unit is not known any more, the
    # commune is the finest a unit point can be.
    op.execute(facilities.update()
               .where(facilities.c.location_source == 'unit_point')
               .values(location_precision='commune'))


def downgrade():
    for column in ('criteria_supported_on', 'target_groups', 'service_codes', 'level',
                   'location_precision'):
        op.drop_column('facilities', column)
