"""outbox, tenant templates, needs_attention on requests

Revision ID: 0004
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0001"
branch_labels = None
depends_on = None

PK = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "outbox",
        sa.Column("id", PK, nullable=False),
        sa.Column("tenant_id", PK, nullable=False),
        sa.Column("request_id", PK, nullable=True),
        sa.Column("message_pk", PK, nullable=True),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("envelope_from", sa.String(length=320), nullable=False),
        sa.Column("rcpt_to", sa.JSON(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("first_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("smtp_reply", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_outbox_tenant_id_tenants"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["request_id"], ["quote_requests.id"], name=op.f("fk_outbox_request_id_quote_requests"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["message_pk"], ["messages.id"], name=op.f("fk_outbox_message_pk_messages"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
    )
    with op.batch_alter_table("outbox") as batch_op:
        batch_op.create_index("ix_outbox_state_next", ["state", "next_attempt_at"], unique=False)
    op.create_table(
        "tenant_templates",
        sa.Column("id", PK, nullable=False),
        sa.Column("tenant_id", PK, nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_tenant_templates_tenant_id_tenants"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tenant_templates")),
        sa.UniqueConstraint("tenant_id", "kind", "language", name="uq_tenant_templates_kind_lang"),
    )
    with op.batch_alter_table("quote_requests") as batch_op:
        batch_op.add_column(sa.Column("needs_attention", sa.Boolean(), server_default="0", nullable=False))
    op.create_table(
        "ack_log",
        sa.Column("id", PK, nullable=False),
        sa.Column("tenant_id", PK, nullable=False),
        sa.Column("address", sa.String(length=320), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_ack_log_tenant_id_tenants"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ack_log")),
    )
    with op.batch_alter_table("ack_log") as batch_op:
        batch_op.create_index("ix_ack_log_tenant_address", ["tenant_id", "address", "at"], unique=False)
    op.create_table(
        "bounced_addresses",
        sa.Column("id", PK, nullable=False),
        sa.Column("tenant_id", PK, nullable=False),
        sa.Column("address", sa.String(length=320), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_bounced_addresses_tenant_id_tenants"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bounced_addresses")),
        sa.UniqueConstraint("tenant_id", "address", name="uq_bounced_addresses_tenant_address"),
    )
    with op.batch_alter_table("messages") as batch_op:
        batch_op.create_index("ix_messages_tenant_from", ["tenant_id", "from_email", "created_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("messages") as batch_op:
        batch_op.drop_index("ix_messages_tenant_from")
    op.drop_table("bounced_addresses")
    with op.batch_alter_table("ack_log") as batch_op:
        batch_op.drop_index("ix_ack_log_tenant_address")
    op.drop_table("ack_log")
    with op.batch_alter_table("quote_requests") as batch_op:
        batch_op.drop_column("needs_attention")
    op.drop_table("tenant_templates")
    with op.batch_alter_table("outbox") as batch_op:
        batch_op.drop_index("ix_outbox_state_next")
    op.drop_table("outbox")
