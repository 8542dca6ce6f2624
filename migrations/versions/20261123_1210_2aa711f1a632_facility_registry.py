"""facility registry

Revision ID: 2aa711f1a632
Revises: 82859b64bcd6
Create Date: 2026-11-23 12:10:45.479099

"""
from alembic import op
import sqlalchemy as sa
from geoalchemy2 import Geometry

# revision identifiers, used by Alembic.
revision = '2aa711f1a632'
down_revision = '82859b64bcd6'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('facility_code_sequences',
    sa.Column('province_code', sa.String(length=2), nullable=False),
    sa.Column('type_code', sa.String(length=32), nullable=False),
    sa.Column('last_value', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('province_code', 'type_code', name=op.f('pk_facility_code_sequences'))
    )
    op.create_table('facility_types',
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name_vi', sa.String(length=200), nullable=False),
    sa.Column('name_en', sa.String(length=200), nullable=False),
    sa.Column('category', sa.Enum('elderly', 'children', 'disability', 'mental_health', 'general', 'social_work', 'drug_rehab', 'counselling', 'shelter', 'victim_support', 'other', name='facility_category', native_enum=False, length=32), nullable=False),
    sa.Column('residential', sa.Boolean(), nullable=False),
    sa.Column('capacity_min', sa.Integer(), nullable=True),
    sa.Column('capacity_max', sa.Integer(), nullable=True),
    sa.Column('capacity_source', sa.Text(), nullable=True),
    sa.Column('default_radius_km', sa.Float(), nullable=True),
    sa.Column('confidential', sa.Boolean(), nullable=False),
    sa.Column('legal_basis', sa.Text(), nullable=True),
    sa.Column('sort_order', sa.Integer(), nullable=False),
    sa.Column('marker_color', sa.String(length=7), nullable=False),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_facility_types'))
    )
    op.create_geospatial_table('facilities',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('type_code', sa.String(length=32), nullable=False),
    sa.Column('ownership', sa.Enum('public', 'non_public', name='facility_ownership', native_enum=False, length=32), nullable=False),
    sa.Column('managing_body', sa.String(length=255), nullable=True),
    sa.Column('province_code', sa.String(length=2), nullable=False),
    sa.Column('commune_code', sa.String(length=5), nullable=True),
    sa.Column('old_province_code', sa.String(length=2), nullable=True),
    sa.Column('district_code', sa.String(length=3), nullable=True),
    sa.Column('address', sa.String(length=500), nullable=True),
    sa.Column('geom', Geometry(geometry_type='POINT', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.Column('lon', sa.Float(), nullable=False),
    sa.Column('lat', sa.Float(), nullable=False),
    sa.Column('location_approximate', sa.Boolean(), nullable=False),
    sa.Column('location_source', sa.Enum('map', 'latlon', 'vn2000', 'unit_point', 'import', name='location_source', native_enum=False, length=32), nullable=False),
    sa.Column('status', sa.Enum('planned', 'under_construction', 'operating', 'suspended', 'closed', name='facility_status', native_enum=False, length=32), nullable=False),
    sa.Column('status_changed_on', sa.Date(), nullable=True),
    sa.Column('opened_on', sa.Date(), nullable=True),
    sa.Column('closed_on', sa.Date(), nullable=True),
    sa.Column('design_capacity', sa.Integer(), nullable=True),
    sa.Column('capacity_by_group', sa.JSON(), nullable=False),
    sa.Column('residents', sa.Integer(), nullable=True),
    sa.Column('staff', sa.Integer(), nullable=True),
    sa.Column('services', sa.Text(), nullable=True),
    sa.Column('registration_no', sa.String(length=100), nullable=True),
    sa.Column('licence_no', sa.String(length=100), nullable=True),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('is_demo', sa.Boolean(), nullable=False),
    sa.Column('search_text', sa.Text(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('design_capacity IS NULL OR design_capacity >= 0', name=op.f('ck_facilities_capacity_non_negative')),
    sa.CheckConstraint('residents IS NULL OR residents >= 0', name=op.f('ck_facilities_residents_non_negative')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_facilities_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['type_code'], ['facility_types.code'], name=op.f('fk_facilities_type_code_facility_types')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_facilities_updated_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_facilities')),
    sa.UniqueConstraint('code', name=op.f('uq_facilities_code'))
    )
    with op.batch_alter_table('facilities', schema=None) as batch_op:
        batch_op.create_geospatial_index('idx_facilities_geom', ['geom'], unique=False, postgresql_using='gist', postgresql_ops={})
        batch_op.create_index(batch_op.f('ix_facilities_commune_code'), ['commune_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_facilities_district_code'), ['district_code'], unique=False)
        batch_op.create_index('ix_facilities_lon_lat', ['lon', 'lat'], unique=False)
        batch_op.create_index('ix_facilities_province_status', ['province_code', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_facilities_type_code'), ['type_code'], unique=False)

    op.create_table('facility_status_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('facility_id', sa.Integer(), nullable=False),
    sa.Column('from_status', sa.Enum('planned', 'under_construction', 'operating', 'suspended', 'closed', name='facility_status', native_enum=False, length=32), nullable=True),
    sa.Column('to_status', sa.Enum('planned', 'under_construction', 'operating', 'suspended', 'closed', name='facility_status', native_enum=False, length=32), nullable=False),
    sa.Column('effective_on', sa.Date(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_facility_status_changes_actor_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['facility_id'], ['facilities.id'], name=op.f('fk_facility_status_changes_facility_id_facilities'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_facility_status_changes'))
    )
    with op.batch_alter_table('facility_status_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_facility_status_changes_facility_id'), ['facility_id'], unique=False)



def downgrade():
    with op.batch_alter_table('facility_status_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_facility_status_changes_facility_id'))

    op.drop_table('facility_status_changes')
    with op.batch_alter_table('facilities', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_facilities_type_code'))
        batch_op.drop_index('ix_facilities_province_status')
        batch_op.drop_index('ix_facilities_lon_lat')
        batch_op.drop_index(batch_op.f('ix_facilities_district_code'))
        batch_op.drop_index(batch_op.f('ix_facilities_commune_code'))
        batch_op.drop_geospatial_index('idx_facilities_geom', postgresql_using='gist', column_name='geom')

    op.drop_geospatial_table('facilities')
    op.drop_table('facility_types')
    op.drop_table('facility_code_sequences')
