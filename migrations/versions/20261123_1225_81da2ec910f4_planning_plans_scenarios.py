"""planning: master plans and rules as data, scenarios and their items

Revision ID: 81da2ec910f4
Revises: 2aa711f1a632
Create Date: 2026-11-23 12:25:21.991044

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '81da2ec910f4'
down_revision = '2aa711f1a632'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('master_plans',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('title_vi', sa.Text(), nullable=False),
    sa.Column('title_en', sa.Text(), nullable=False),
    sa.Column('document', sa.Text(), nullable=False),
    sa.Column('issuing_body_vi', sa.String(length=255), nullable=False),
    sa.Column('issuing_body_en', sa.String(length=255), nullable=False),
    sa.Column('issued_on', sa.Date(), nullable=True),
    sa.Column('period_start', sa.Integer(), nullable=False),
    sa.Column('period_end', sa.Integer(), nullable=True),
    sa.Column('national', sa.Boolean(), nullable=False),
    sa.Column('province_codes', sa.JSON(), nullable=False),
    sa.Column('edition', sa.String(length=16), nullable=False),
    sa.Column('successor_of', sa.String(length=64), nullable=True),
    sa.Column('notes_vi', sa.Text(), nullable=True),
    sa.Column('notes_en', sa.Text(), nullable=True),
    sa.Column('source_file', sa.String(length=255), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_master_plans')),
    sa.UniqueConstraint('code', name=op.f('uq_master_plans_code'))
    )
    op.create_table('plan_rules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('title_vi', sa.Text(), nullable=False),
    sa.Column('title_en', sa.Text(), nullable=False),
    sa.Column('severity', sa.String(length=16), nullable=False),
    sa.Column('target_year', sa.Integer(), nullable=True),
    sa.Column('source_document', sa.Text(), nullable=False),
    sa.Column('source_section', sa.Text(), nullable=True),
    sa.Column('source_lines', sa.String(length=64), nullable=True),
    sa.Column('source_quote', sa.Text(), nullable=True),
    sa.Column('note_vi', sa.Text(), nullable=True),
    sa.Column('note_en', sa.Text(), nullable=True),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('overrides', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['plan_id'], ['master_plans.id'], name=op.f('fk_plan_rules_plan_id_master_plans'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plan_rules')),
    sa.UniqueConstraint('plan_id', 'code', name='uq_plan_rules_plan_id_code')
    )
    with op.batch_alter_table('plan_rules', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_plan_rules_plan_id'), ['plan_id'], unique=False)

    op.create_table('scenarios',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('province_code', sa.String(length=2), nullable=False),
    sa.Column('target_year', sa.Integer(), nullable=False),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('copied_from_id', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('adopted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('adopted_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['adopted_by_id'], ['users.id'], name=op.f('fk_scenarios_adopted_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['copied_from_id'], ['scenarios.id'], name=op.f('fk_scenarios_copied_from_id_scenarios'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_scenarios_created_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scenarios'))
    )
    with op.batch_alter_table('scenarios', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_scenarios_province_code'), ['province_code'], unique=False)

    op.create_table('scenario_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('scenario_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.Enum('add', 'capacity', 'upgrade', 'close', name='scenario_item_action', native_enum=False, length=32), nullable=False),
    sa.Column('facility_id', sa.Integer(), nullable=True),
    sa.Column('name', sa.String(length=255), nullable=True),
    sa.Column('type_code', sa.String(length=32), nullable=True),
    sa.Column('ownership', sa.String(length=16), nullable=True),
    sa.Column('lon', sa.Float(), nullable=True),
    sa.Column('lat', sa.Float(), nullable=True),
    sa.Column('province_code', sa.String(length=2), nullable=True),
    sa.Column('commune_code', sa.String(length=5), nullable=True),
    sa.Column('old_province_code', sa.String(length=2), nullable=True),
    sa.Column('district_code', sa.String(length=3), nullable=True),
    sa.Column('design_capacity', sa.Integer(), nullable=True),
    sa.Column('new_status', sa.String(length=32), nullable=True),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('adopted_facility_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['adopted_facility_id'], ['facilities.id'], name=op.f('fk_scenario_items_adopted_facility_id_facilities'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['facility_id'], ['facilities.id'], name=op.f('fk_scenario_items_facility_id_facilities'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['scenario_id'], ['scenarios.id'], name=op.f('fk_scenario_items_scenario_id_scenarios'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['type_code'], ['facility_types.code'], name=op.f('fk_scenario_items_type_code_facility_types')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scenario_items'))
    )
    with op.batch_alter_table('scenario_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_scenario_items_facility_id'), ['facility_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_scenario_items_scenario_id'), ['scenario_id'], unique=False)



def downgrade():
    with op.batch_alter_table('scenario_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_scenario_items_scenario_id'))
        batch_op.drop_index(batch_op.f('ix_scenario_items_facility_id'))

    op.drop_table('scenario_items')
    with op.batch_alter_table('scenarios', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_scenarios_province_code'))

    op.drop_table('scenarios')
    with op.batch_alter_table('plan_rules', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_plan_rules_plan_id'))

    op.drop_table('plan_rules')
    op.drop_table('master_plans')
