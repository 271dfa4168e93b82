"""identity and API: password hashes, API tokens, web sessions, read state, login throttle, change feed

Revision ID: 0009
Revises: 0010

Existing users keep working for assignment; they can log in once a password is set.
"""

from alembic import op
import sqlalchemy as sa


revision = "0009"
down_revision = "0010"
branch_labels = None
depends_on = None

PK = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("password_hash", sa.String(length=200), nullable=True))

    op.create_table("api_tokens",
    sa.Column("id", PK, nullable=False),
    sa.Column("tenant_id", PK, nullable=False),
    sa.Column("name", sa.String(length=100), nullable=False),
    sa.Column("role", sa.String(length=10), nullable=False),
    sa.Column("token_hash", sa.String(length=64), nullable=False),
    sa.Column("prefix", sa.String(length=16), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("created_by", sa.String(length=320), nullable=False),
    sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_api_tokens_tenant_id_tenants"),
                            ondelete="CASCADE"),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
    sa.UniqueConstraint("token_hash", name=op.f("uq_api_tokens_token_hash")),
    )
    op.create_index(op.f("ix_api_tokens_tenant_id"), "api_tokens", ["tenant_id"], unique=False)

    op.create_table("web_sessions",
    sa.Column("id", PK, nullable=False),
    sa.Column("tenant_id", PK, nullable=False),
    sa.Column("user_id", PK, nullable=False),
    sa.Column("sid_hash", sa.String(length=64), nullable=False),
    sa.Column("csrf", sa.String(length=64), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("address", sa.String(length=64), nullable=False),
    sa.Column("user_agent", sa.String(length=300), nullable=False),
    sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_web_sessions_tenant_id_tenants"),
                            ondelete="CASCADE"),
    sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_web_sessions_user_id_users"),
                            ondelete="CASCADE"),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_web_sessions")),
    sa.UniqueConstraint("sid_hash", name=op.f("uq_web_sessions_sid_hash")),
    )
    op.create_index(op.f("ix_web_sessions_user_id"), "web_sessions", ["user_id"], unique=False)

    op.create_table("request_reads",
    sa.Column("user_id", PK, nullable=False),
    sa.Column("request_id", PK, nullable=False),
    sa.Column("read_at", sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_request_reads_user_id_users"),
                            ondelete="CASCADE"),
    sa.ForeignKeyConstraint(["request_id"], ["quote_requests.id"],
                            name=op.f("fk_request_reads_request_id_quote_requests"), ondelete="CASCADE"),
    sa.PrimaryKeyConstraint("user_id", "request_id", name=op.f("pk_request_reads")),
    )
    op.create_index(op.f("ix_request_reads_request_id"), "request_reads", ["request_id"], unique=False)

    op.create_table("login_throttle",
    sa.Column("key", sa.String(length=400), nullable=False),
    sa.Column("failures", sa.Integer(), nullable=False),
    sa.Column("last_failure_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("blocked_until", sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint("key", name=op.f("pk_login_throttle")),
    )

    op.create_table("change_events",
    sa.Column("id", PK, nullable=False),
    sa.Column("tenant_id", PK, nullable=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("kind", sa.String(length=40), nullable=False),
    sa.Column("request_id", PK, nullable=True),
    sa.Column("data", sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_change_events_tenant_id_tenants"),
                            ondelete="CASCADE"),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_change_events")),
    )
    op.create_index("ix_change_events_tenant", "change_events", ["tenant_id", "id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_change_events_tenant", table_name="change_events")
    op.drop_table("change_events")
    op.drop_table("login_throttle")
    op.drop_index(op.f("ix_request_reads_request_id"), table_name="request_reads")
    op.drop_table("request_reads")
    op.drop_index(op.f("ix_web_sessions_user_id"), table_name="web_sessions")
    op.drop_table("web_sessions")
    op.drop_index(op.f("ix_api_tokens_tenant_id"), table_name="api_tokens")
    op.drop_table("api_tokens")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("password_hash")
