"""foundation: users, audit, administrative units

Revision ID: 82859b64bcd6
Revises: 
Create Date: 2026-11-23 11:35:11.021384

"""
from alembic import op
import sqlalchemy as sa
from geoalchemy2 import Geometry

# revision identifiers, used by Alembic.
revision = '82859b64bcd6'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    op.create_geospatial_table('admin_units',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('edition', sa.Enum('pre2025', '2025', name='admin_edition', native_enum=False, length=16), nullable=False),
    sa.Column('level', sa.Enum('province', 'district', 'commune', name='admin_level', native_enum=False, length=16), nullable=False),
    sa.Column('code', sa.String(length=5), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('full_name', sa.String(length=160), nullable=False),
    sa.Column('name_en', sa.String(length=160), nullable=True),
    sa.Column('division_type', sa.String(length=60), nullable=True),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('province_code', sa.String(length=2), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=True),
    sa.Column('valid_to', sa.Date(), nullable=True),
    sa.Column('population', sa.Integer(), nullable=True),
    sa.Column('population_year', sa.Integer(), nullable=True),
    sa.Column('population_source', sa.Text(), nullable=True),
    sa.Column('area_km2', sa.Float(), nullable=True),
    sa.Column('formed_from', sa.Text(), nullable=True),
    sa.Column('geom', Geometry(geometry_type='MULTIPOLYGON', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry'), nullable=True),
    sa.Column('rep_lon', sa.Float(), nullable=True),
    sa.Column('rep_lat', sa.Float(), nullable=True),
    sa.Column('min_lon', sa.Float(), nullable=True),
    sa.Column('min_lat', sa.Float(), nullable=True),
    sa.Column('max_lon', sa.Float(), nullable=True),
    sa.Column('max_lat', sa.Float(), nullable=True),
    sa.Column('geometry_source', sa.String(length=120), nullable=True),
    sa.ForeignKeyConstraint(['parent_id'], ['admin_units.id'], name=op.f('fk_admin_units_parent_id_admin_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_admin_units')),
    sa.UniqueConstraint('edition', 'level', 'code', name='uq_admin_units_edition_level_code')
    )
    with op.batch_alter_table('admin_units', schema=None) as batch_op:
        batch_op.create_geospatial_index('idx_admin_units_geom', ['geom'], unique=False, postgresql_using='gist', postgresql_ops={})
        batch_op.create_index('ix_admin_units_bbox', ['min_lon', 'max_lon', 'min_lat', 'max_lat'], unique=False)
        batch_op.create_index(batch_op.f('ix_admin_units_code'), ['code'], unique=False)
        batch_op.create_index(batch_op.f('ix_admin_units_edition'), ['edition'], unique=False)
        batch_op.create_index(batch_op.f('ix_admin_units_parent_id'), ['parent_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_admin_units_province_code'), ['province_code'], unique=False)

    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=80), nullable=False),
    sa.Column('full_name', sa.String(length=200), nullable=False),
    sa.Column('email', sa.String(length=200), nullable=True),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('role', sa.Enum('admin', 'planner', 'licensing_officer', 'investment_officer', 'reporter', 'viewer', name='user_role', native_enum=False, length=32), nullable=False),
    sa.Column('province_code', sa.String(length=2), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('failed_logins', sa.Integer(), nullable=False),
    sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_login_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('username', name=op.f('uq_users_username'))
    )
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_users_province_code'), ['province_code'], unique=False)

    op.create_table('admin_unit_successions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('old_unit_id', sa.Integer(), nullable=False),
    sa.Column('new_unit_id', sa.Integer(), nullable=False),
    sa.Column('effective_on', sa.Date(), nullable=False),
    sa.Column('partial', sa.Boolean(), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['new_unit_id'], ['admin_units.id'], name=op.f('fk_admin_unit_successions_new_unit_id_admin_units'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['old_unit_id'], ['admin_units.id'], name=op.f('fk_admin_unit_successions_old_unit_id_admin_units'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_admin_unit_successions')),
    sa.UniqueConstraint('old_unit_id', 'new_unit_id', name='uq_admin_unit_successions_pair')
    )
    with op.batch_alter_table('admin_unit_successions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_admin_unit_successions_new_unit_id'), ['new_unit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_admin_unit_successions_old_unit_id'), ['old_unit_id'], unique=False)

    op.create_table('audit_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('actor_label', sa.String(length=120), nullable=False),
    sa.Column('entity_type', sa.String(length=64), nullable=False),
    sa.Column('entity_id', sa.String(length=64), nullable=False),
    sa.Column('entity_label', sa.String(length=255), nullable=True),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('changes', sa.JSON(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('jurisdiction', sa.String(length=2), nullable=True),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_audit_events_actor_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_events'))
    )
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_events_actor_id'), ['actor_id'], unique=False)
        batch_op.create_index('ix_audit_events_entity', ['entity_type', 'entity_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_events_jurisdiction'), ['jurisdiction'], unique=False)



def downgrade():
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_events_jurisdiction'))
        batch_op.drop_index('ix_audit_events_entity')
        batch_op.drop_index(batch_op.f('ix_audit_events_actor_id'))

    op.drop_table('audit_events')
    with op.batch_alter_table('admin_unit_successions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_admin_unit_successions_old_unit_id'))
        batch_op.drop_index(batch_op.f('ix_admin_unit_successions_new_unit_id'))

    op.drop_table('admin_unit_successions')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_users_province_code'))

    op.drop_table('users')
    with op.batch_alter_table('admin_units', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_admin_units_province_code'))
        batch_op.drop_index(batch_op.f('ix_admin_units_parent_id'))
        batch_op.drop_index(batch_op.f('ix_admin_units_edition'))
        batch_op.drop_index(batch_op.f('ix_admin_units_code'))
        batch_op.drop_index('ix_admin_units_bbox')
        batch_op.drop_geospatial_index('idx_admin_units_geom', postgresql_using='gist', column_name='geom')

    op.drop_geospatial_table('admin_units')
