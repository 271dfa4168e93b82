"""imap_sources.lease_holder/lease_until: which instance polls a source, and until when

Revision ID: 0012
Revises: 0015

Several instances on one database: each source is polled by the instance holding its lease,
which renews it while it polls; when the holder dies the lease runs out and another takes over.
"""

from alembic import op
import sqlalchemy as sa


revision = "0012"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("imap_sources", schema=None) as batch_op:
        batch_op.add_column(sa.Column("lease_holder", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("imap_sources", schema=None) as batch_op:
        batch_op.drop_column("lease_until")
        batch_op.drop_column("lease_holder")
