"""sessions: a per-user session epoch (raising it ends all of the user's sessions); failed
logins no longer lock accounts, so existing locks are lifted

Revision ID: c4e8a1f2d6b3
Revises: 5d1e0c7a9b21
Create Date: 2026-12-02 09:30:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'c4e8a1f2d6b3'
down_revision = '5d1e0c7a9b21'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_epoch', sa.Integer(), nullable=False,
                                      server_default='0'))
    users = sa.table('users', sa.column('locked_until', sa.DateTime(timezone=True)))
    op.execute(users.update().values(locked_until=None))


def downgrade():
    # Lifted locks stay lifted: they were a denial of service, not data.
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('session_epoch')
