"""outbox.claimed_until: the lease of the sender holding a row

Revision ID: 0020
Revises: 0018

A claimed row stays `queued` with `next_attempt_at` at the lease's end, which looks the same as a
row waiting out a retry's backoff. `outbox retry` must tell them apart: making a row due while a
sender is talking to the smarthost would let a second sender take it and send it twice. Rows
claimed when this runs get no value; their holders clear it anyway when they record the attempt.
"""

from alembic import op
import sqlalchemy as sa


revision = "0020"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("claimed_until")
