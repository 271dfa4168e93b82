"""retention: raw_messages.purged_at marks raw copies whose bytes were dropped

Revision ID: 0003
Revises: 0001 (TEMPORARY: should be 0002 once that revision is on this branch)
"""

from alembic import op
import sqlalchemy as sa


revision = "0003"
# TODO(lead): relink to "0002" when merging; the ops branch was cut before 0002 existed.
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("raw_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("purged_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("raw_messages", schema=None) as batch_op:
        batch_op.drop_column("purged_at")
