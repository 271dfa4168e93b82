"""quote_requests (tenant_id, id): previous/next on the request page

Revision ID: 0021
Revises: 0020

"Next older request of this tenant" is max(id) below one id, for one tenant. The indexes that
start with tenant_id are ordered by updated_at or status next, so for a big tenant the query
walked all of its requests (150-200 ms at 500,000 on SQLite); with (tenant_id, id) it is one
probe either way.
"""

from alembic import op


revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_quote_requests_tenant_id", "quote_requests", ["tenant_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_quote_requests_tenant_id", table_name="quote_requests")
