"""retention: raw_messages.purged_at marks raw copies whose bytes were dropped

Revision ID: 0003
Revises: 0004 (TEMPORARY: main has 0001 -> 0004 and no 0002 yet; relink when 0002 lands)
"""

from alembic import op
import sqlalchemy as sa


revision = "0003"
# TODO(lead): relink when "0002" lands. Main had 0001 -> 0004 (outbox) and no 0002 when the ops
# branch merged it, so this hangs below 0004 to keep a single head.
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("raw_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("purged_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("raw_messages", schema=None) as batch_op:
        batch_op.drop_column("purged_at")
