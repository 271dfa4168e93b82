"""Inbox counts kept by triggers (SQLite); an index for the needs-attention count

Revision ID: 0017
Revises: 0012

The inbox shows requests per status, needing attention and unread on every page. Counting them
scanned the tenant's index (100k entries at 100k requests) three times per page. On SQLite,
triggers keep `request_counts` (per tenant, status, needs_attention) and `read_counts` (per user)
in step with `quote_requests` and `request_reads` in the writer's own transaction; the tables are
filled from the existing rows here. Other engines keep counting (index-only) and leave the tables
empty. FK cascades fire the delete triggers too (foreign_keys=ON), and request_reads is only
written by plain INSERT and DELETE (no REPLACE, whose deletes would not fire them).
"""

from alembic import op
import sqlalchemy as sa


revision = "0017"
down_revision = "0012"
branch_labels = None
depends_on = None

_ADD = ("INSERT INTO request_counts (tenant_id, status, needs_attention, n) VALUES ({r}.tenant_id, {r}.status, "
        "{r}.needs_attention, 1) ON CONFLICT (tenant_id, status, needs_attention) DO UPDATE SET n = n + 1;")
_SUB = ("UPDATE request_counts SET n = n - 1 WHERE tenant_id = {r}.tenant_id AND status = {r}.status "
        "AND needs_attention = {r}.needs_attention;")
TRIGGERS = {
    "trg_request_counts_insert": f"AFTER INSERT ON quote_requests BEGIN {_ADD.format(r='NEW')} END",
    "trg_request_counts_delete": f"AFTER DELETE ON quote_requests BEGIN {_SUB.format(r='OLD')} END",
    "trg_request_counts_update": (
        "AFTER UPDATE OF tenant_id, status, needs_attention ON quote_requests WHEN OLD.tenant_id IS NOT NEW.tenant_id "
        "OR OLD.status IS NOT NEW.status OR OLD.needs_attention IS NOT NEW.needs_attention "
        f"BEGIN {_SUB.format(r='OLD')} {_ADD.format(r='NEW')} END"
    ),
    "trg_read_counts_insert": (
        "AFTER INSERT ON request_reads BEGIN INSERT INTO read_counts (user_id, n) VALUES (NEW.user_id, 1) "
        "ON CONFLICT (user_id) DO UPDATE SET n = n + 1; END"
    ),
    "trg_read_counts_delete": "AFTER DELETE ON request_reads BEGIN UPDATE read_counts SET n = n - 1 WHERE user_id = OLD.user_id; END",
}


def upgrade() -> None:
    op.create_table(
        "request_counts",
        sa.Column("tenant_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("needs_attention", sa.Boolean(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "status", "needs_attention", name=op.f("pk_request_counts")),
    )
    op.create_table(
        "read_counts",
        sa.Column("user_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_read_counts")),
    )
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute("INSERT INTO request_counts (tenant_id, status, needs_attention, n) SELECT tenant_id, status, "
               "needs_attention, count(*) FROM quote_requests GROUP BY tenant_id, status, needs_attention")
    op.execute("INSERT INTO read_counts (user_id, n) SELECT user_id, count(*) FROM request_reads GROUP BY user_id")
    for name, body in TRIGGERS.items():
        op.execute(f"CREATE TRIGGER {name} {body}")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.drop_table("read_counts")
    op.drop_table("request_counts")
