"""quotes: quotes and their lines; per-tenant quote number format and validity

Revision ID: 0006
Revises: 0005

Existing rows survive: the new tenant columns have server defaults.
"""

from alembic import op
import sqlalchemy as sa


revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

PK = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("tenants", schema=None) as batch_op:
        batch_op.add_column(sa.Column("quote_number_format", sa.String(length=60),
                                      server_default="OF-{year}-{seq:04}", nullable=False))
        batch_op.add_column(sa.Column("quote_validity_days", sa.Integer(), server_default="30", nullable=False))

    op.create_table("quotes",
    sa.Column("id", PK, nullable=False),
    sa.Column("tenant_id", PK, nullable=False),
    sa.Column("request_id", PK, nullable=True),
    sa.Column("contact_id", PK, nullable=True),
    sa.Column("number", sa.String(length=60), nullable=False),
    sa.Column("status", sa.String(length=10), nullable=False),
    sa.Column("language", sa.String(length=2), nullable=False),
    sa.Column("currency", sa.String(length=3), nullable=False),
    sa.Column("issue_date", sa.Date(), nullable=False),
    sa.Column("valid_until", sa.Date(), nullable=False),
    sa.Column("contact_name", sa.String(length=200), nullable=False),
    sa.Column("contact_address", sa.JSON(), nullable=False),
    sa.Column("contact_vat", sa.String(length=40), nullable=False),
    sa.Column("contact_email", sa.String(length=320), nullable=False),
    sa.Column("total_excl", sa.String(length=24), nullable=False),
    sa.Column("total_vat", sa.String(length=24), nullable=False),
    sa.Column("total_incl", sa.String(length=24), nullable=False),
    sa.Column("pdf", sa.LargeBinary(), nullable=True),
    sa.Column("created_by", sa.String(length=320), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_quotes_tenant_id_tenants"), ondelete="CASCADE"),
    sa.ForeignKeyConstraint(["request_id"], ["quote_requests.id"], name=op.f("fk_quotes_request_id_quote_requests"),
                            ondelete="SET NULL"),
    sa.ForeignKeyConstraint(["contact_id"], ["contacts.id"], name=op.f("fk_quotes_contact_id_contacts"),
                            ondelete="SET NULL"),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_quotes")),
    sa.UniqueConstraint("tenant_id", "number", name="uq_quotes_tenant_number"),
    )
    with op.batch_alter_table("quotes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_quotes_request_id"), ["request_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_quotes_contact_id"), ["contact_id"], unique=False)

    op.create_table("quote_lines",
    sa.Column("id", PK, nullable=False),
    sa.Column("quote_id", PK, nullable=False),
    sa.Column("position", sa.Integer(), nullable=False),
    sa.Column("description", sa.Text(), nullable=False),
    sa.Column("quantity", sa.String(length=24), nullable=False),
    sa.Column("unit", sa.String(length=20), nullable=False),
    sa.Column("unit_price", sa.String(length=24), nullable=False),
    sa.Column("vat_rate", sa.String(length=8), nullable=False),
    sa.Column("discount_percent", sa.String(length=8), nullable=False),
    sa.Column("line_total", sa.String(length=24), nullable=False),
    sa.ForeignKeyConstraint(["quote_id"], ["quotes.id"], name=op.f("fk_quote_lines_quote_id_quotes"), ondelete="CASCADE"),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_quote_lines")),
    )
    with op.batch_alter_table("quote_lines", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_quote_lines_quote_id"), ["quote_id"], unique=False)


def downgrade() -> None:
    op.drop_table("quote_lines")
    op.drop_table("quotes")
    with op.batch_alter_table("tenants", schema=None) as batch_op:
        batch_op.drop_column("quote_validity_days")
        batch_op.drop_column("quote_number_format")
