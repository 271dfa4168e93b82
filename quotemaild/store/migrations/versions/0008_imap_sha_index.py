"""the sha256 index of raw messages covers IMAP mail only

Revision ID: 0008
Revises: 0007

It serves one query, the IMAP dedupe of a refetched folder. Over every SMTP insert it cost a write
on a random leaf of an index as big as the store, in each commit the SMTP acknowledgements wait for.
"""

from alembic import op
import sqlalchemy as sa


revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

IMAP = sa.text("channel = 'imap'")


def upgrade() -> None:
    with op.batch_alter_table("raw_messages", schema=None) as batch_op:
        batch_op.drop_index("ix_raw_messages_tenant_sha")
        batch_op.create_index("ix_raw_messages_imap_sha", ["tenant_id", "sha256"], unique=False,
                              sqlite_where=IMAP, postgresql_where=IMAP)


def downgrade() -> None:
    with op.batch_alter_table("raw_messages", schema=None) as batch_op:
        batch_op.drop_index("ix_raw_messages_imap_sha")
        batch_op.create_index("ix_raw_messages_tenant_sha", ["tenant_id", "sha256"], unique=False)
