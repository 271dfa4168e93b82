"""outbox.on_sent: the workflow move that waits for the mail to leave

Revision ID: 0013
Revises: 0008

Without a smarthost a reply or a quote mail stays queued; the request must not say `answered` or
`quote_sent` (nor the quote `sent`) before the mail has left. The move is kept on the row
(`{"event": "reply_sent"}`, `{"event": "quote_sent", "quote": 7}`) and applied when the
delivery worker records the smarthost's 250.
"""

from alembic import op
import sqlalchemy as sa


revision = "0013"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("on_sent", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("on_sent")
