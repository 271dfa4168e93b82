"""initial schema: tenants, raw messages, messages, requests, timeline

Revision ID: 0001
Revises: 
"""

from alembic import op
import sqlalchemy as sa


revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table("tenants",
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
    sa.Column("slug", sa.String(length=64), nullable=False),
    sa.Column("name", sa.String(length=200), nullable=False),
    sa.Column("language", sa.String(length=2), nullable=False),
    sa.Column("auto_reply", sa.Boolean(), nullable=False),
    sa.Column("sender_mode", sa.String(length=10), nullable=False),
    sa.Column("own_addresses", sa.JSON(), nullable=False),
    sa.Column("own_domains", sa.JSON(), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_tenants")),
    sa.UniqueConstraint("slug", name=op.f("uq_tenants_slug"))
    )
    op.create_table("audit_records",
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
    sa.Column("tenant_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("actor", sa.String(length=320), nullable=False),
    sa.Column("action", sa.String(length=60), nullable=False),
    sa.Column("detail", sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_audit_records_tenant_id_tenants"), ondelete="SET NULL"),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_records"))
    )
    op.create_table("quote_requests",
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
    sa.Column("tenant_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
    sa.Column("status", sa.String(length=20), nullable=False),
    sa.Column("subject", sa.String(length=998), nullable=False),
    sa.Column("requester_email", sa.String(length=320), nullable=True),
    sa.Column("requester_name", sa.String(length=200), nullable=True),
    sa.Column("message_count", sa.Integer(), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_quote_requests_tenant_id_tenants"), ondelete="CASCADE"),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_quote_requests"))
    )
    with op.batch_alter_table("quote_requests", schema=None) as batch_op:
        batch_op.create_index("ix_quote_requests_tenant_status_updated", ["tenant_id", "status", "updated_at", "id"], unique=False)
        batch_op.create_index("ix_quote_requests_tenant_updated", ["tenant_id", "updated_at", "id"], unique=False)

    op.create_table("raw_messages",
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
    sa.Column("tenant_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
    sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("channel", sa.String(length=8), nullable=False),
    sa.Column("mail_from", sa.String(length=512), nullable=False),
    sa.Column("rcpt_to", sa.JSON(), nullable=False),
    sa.Column("peer", sa.String(length=200), nullable=False),
    sa.Column("helo", sa.String(length=255), nullable=False),
    sa.Column("size", sa.Integer(), nullable=False),
    sa.Column("sha256", sa.String(length=64), nullable=False),
    sa.Column("data", sa.LargeBinary(), nullable=False),
    sa.Column("state", sa.String(length=10), nullable=False),
    sa.Column("error", sa.Text(), nullable=True),
    sa.Column("attempts", sa.Integer(), nullable=False),
    sa.Column("processed_at", sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_raw_messages_tenant_id_tenants"), ondelete="CASCADE"),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_raw_messages"))
    )
    with op.batch_alter_table("raw_messages", schema=None) as batch_op:
        batch_op.create_index("ix_raw_messages_state", ["state", "id"], unique=False)
        batch_op.create_index("ix_raw_messages_tenant_sha", ["tenant_id", "sha256"], unique=False)

    op.create_table("messages",
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
    sa.Column("tenant_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
    sa.Column("request_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
    sa.Column("raw_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
    sa.Column("direction", sa.String(length=3), nullable=False),
    sa.Column("message_id", sa.String(length=998), nullable=False),
    sa.Column("in_reply_to", sa.String(length=998), nullable=True),
    sa.Column("references", sa.JSON(), nullable=False),
    sa.Column("subject", sa.Text(), nullable=False),
    sa.Column("from_name", sa.String(length=200), nullable=True),
    sa.Column("from_email", sa.String(length=320), nullable=True),
    sa.Column("to", sa.JSON(), nullable=False),
    sa.Column("cc", sa.JSON(), nullable=False),
    sa.Column("reply_to", sa.JSON(), nullable=False),
    sa.Column("date", sa.DateTime(timezone=True), nullable=True),
    sa.Column("text", sa.Text(), nullable=False),
    sa.Column("html", sa.Text(), nullable=True),
    sa.Column("provenance", sa.String(length=20), nullable=False),
    sa.Column("forwarded_by", sa.String(length=320), nullable=True),
    sa.Column("requester_confidence", sa.Double(), nullable=True),
    sa.Column("kind", sa.String(length=20), nullable=False),
    sa.Column("defects", sa.JSON(), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(["raw_id"], ["raw_messages.id"], name=op.f("fk_messages_raw_id_raw_messages"), ondelete="SET NULL"),
    sa.ForeignKeyConstraint(["request_id"], ["quote_requests.id"], name=op.f("fk_messages_request_id_quote_requests"), ondelete="CASCADE"),
    sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_messages_tenant_id_tenants"), ondelete="CASCADE"),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_messages"))
    )
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.create_index("ix_messages_request", ["request_id", "id"], unique=False)

    op.create_table("timeline_events",
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
    sa.Column("request_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("kind", sa.String(length=40), nullable=False),
    sa.Column("actor", sa.String(length=320), nullable=False),
    sa.Column("detail", sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(["request_id"], ["quote_requests.id"], name=op.f("fk_timeline_events_request_id_quote_requests"), ondelete="CASCADE"),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_timeline_events"))
    )
    with op.batch_alter_table("timeline_events", schema=None) as batch_op:
        batch_op.create_index("ix_timeline_events_request", ["request_id", "id"], unique=False)

    op.create_table("attachments",
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
    sa.Column("message_pk", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
    sa.Column("filename", sa.String(length=500), nullable=False),
    sa.Column("content_type", sa.String(length=200), nullable=False),
    sa.Column("content_id", sa.String(length=500), nullable=True),
    sa.Column("size", sa.Integer(), nullable=False),
    sa.Column("sha256", sa.String(length=64), nullable=False),
    sa.Column("data", sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(["message_pk"], ["messages.id"], name=op.f("fk_attachments_message_pk_messages"), ondelete="CASCADE"),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_attachments"))
    )
    with op.batch_alter_table("attachments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_attachments_message_pk"), ["message_pk"], unique=False)

    op.create_table("message_refs",
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
    sa.Column("tenant_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
    sa.Column("value", sa.String(length=998), nullable=False),
    sa.Column("message_pk", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
    sa.ForeignKeyConstraint(["message_pk"], ["messages.id"], name=op.f("fk_message_refs_message_pk_messages"), ondelete="CASCADE"),
    sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_message_refs_tenant_id_tenants"), ondelete="CASCADE"),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_message_refs")),
    sa.UniqueConstraint("tenant_id", "value", name="uq_message_refs_tenant_value")
    )



def downgrade() -> None:

    op.drop_table("message_refs")
    with op.batch_alter_table("attachments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_attachments_message_pk"))

    op.drop_table("attachments")
    with op.batch_alter_table("timeline_events", schema=None) as batch_op:
        batch_op.drop_index("ix_timeline_events_request")

    op.drop_table("timeline_events")
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_index("ix_messages_request")

    op.drop_table("messages")
    with op.batch_alter_table("raw_messages", schema=None) as batch_op:
        batch_op.drop_index("ix_raw_messages_tenant_sha")
        batch_op.drop_index("ix_raw_messages_state")

    op.drop_table("raw_messages")
    with op.batch_alter_table("quote_requests", schema=None) as batch_op:
        batch_op.drop_index("ix_quote_requests_tenant_updated")
        batch_op.drop_index("ix_quote_requests_tenant_status_updated")

    op.drop_table("quote_requests")
    op.drop_table("audit_records")
    op.drop_table("tenants")

