"""imap sources: per-tenant IMAP folders with progress (uidvalidity, last uid) and health

Revision ID: 0002
Revises: 0001
"""

from alembic import op
import sqlalchemy as sa


revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

PK = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "imap_sources",
        sa.Column("id", PK, nullable=False),
        sa.Column("tenant_id", PK, nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("port", sa.Integer(), nullable=False),
        sa.Column("tls", sa.String(length=10), nullable=False),
        sa.Column("username", sa.String(length=320), nullable=False),
        sa.Column("auth", sa.String(length=10), nullable=False),
        sa.Column("password_file", sa.String(length=1000), nullable=True),
        sa.Column("token_command", sa.String(length=2000), nullable=True),
        sa.Column("folder", sa.String(length=500), nullable=False),
        sa.Column("move_to", sa.String(length=500), nullable=True),
        sa.Column("uidvalidity", sa.BigInteger(), nullable=True),
        sa.Column("last_uid", sa.BigInteger(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_error_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_success_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("imported", sa.Integer(), nullable=False),
        sa.Column("skipped", sa.Integer(), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("backoff_seconds", sa.Double(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_imap_sources_tenant_id_tenants"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_imap_sources")),
    )
    with op.batch_alter_table("imap_sources", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_imap_sources_tenant_id"), ["tenant_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("imap_sources", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_imap_sources_tenant_id"))
    op.drop_table("imap_sources")
