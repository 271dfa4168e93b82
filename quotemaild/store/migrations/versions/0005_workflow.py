"""workflow: users, contacts (persons, custom fields, attachments, invoices), request assignment

Revision ID: 0005
Revises: 0004

Existing rows survive: every new NOT NULL column has a server default.
"""

from alembic import op
import sqlalchemy as sa


revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

PK = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table("users",
    sa.Column("id", PK, nullable=False),
    sa.Column("tenant_id", PK, nullable=False),
    sa.Column("name", sa.String(length=200), nullable=False),
    sa.Column("email", sa.String(length=320), nullable=False),
    sa.Column("role", sa.String(length=40), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_users_tenant_id_tenants"), ondelete="CASCADE"),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
    sa.UniqueConstraint("tenant_id", "email", name="uq_users_tenant_email"),
    )
    op.create_table("contacts",
    sa.Column("id", PK, nullable=False),
    sa.Column("tenant_id", PK, nullable=False),
    sa.Column("kind", sa.String(length=10), nullable=False),
    sa.Column("type", sa.String(length=10), nullable=False),
    sa.Column("number", sa.String(length=40), nullable=True),
    sa.Column("name", sa.String(length=200), nullable=False),
    sa.Column("emails", sa.JSON(), nullable=False),
    sa.Column("phone", sa.String(length=40), nullable=False),
    sa.Column("street", sa.String(length=200), nullable=False),
    sa.Column("postal_code", sa.String(length=12), nullable=False),
    sa.Column("city", sa.String(length=100), nullable=False),
    sa.Column("country", sa.String(length=2), nullable=False),
    sa.Column("language", sa.String(length=2), nullable=False),
    sa.Column("currency", sa.String(length=3), nullable=False),
    sa.Column("vat_number", sa.String(length=40), nullable=False),
    sa.Column("vat_regime", sa.String(length=20), nullable=False),
    sa.Column("payment_term_days", sa.Integer(), nullable=True),
    sa.Column("discount_percent", sa.String(length=10), nullable=False),
    sa.Column("document_emails", sa.JSON(), nullable=False),
    sa.Column("groups", sa.JSON(), nullable=False),
    sa.Column("lead_source", sa.String(length=200), nullable=False),
    sa.Column("moments", sa.JSON(), nullable=False),
    sa.Column("custom", sa.JSON(), nullable=False),
    sa.Column("internal_note", sa.Text(), nullable=False),
    sa.Column("converted_on", sa.Date(), nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_contacts_tenant_id_tenants"), ondelete="CASCADE"),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_contacts")),
    sa.UniqueConstraint("tenant_id", "number", name="uq_contacts_tenant_number"),
    )
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.create_index("ix_contacts_tenant_name", ["tenant_id", "name"], unique=False)
        batch_op.create_index("ix_contacts_tenant_vat", ["tenant_id", "vat_number"], unique=False)

    op.create_table("contact_persons",
    sa.Column("id", PK, nullable=False),
    sa.Column("contact_id", PK, nullable=False),
    sa.Column("position", sa.Integer(), nullable=False),
    sa.Column("name", sa.String(length=200), nullable=False),
    sa.Column("emails", sa.JSON(), nullable=False),
    sa.Column("phone", sa.String(length=40), nullable=False),
    sa.Column("role", sa.String(length=100), nullable=False),
    sa.Column("street", sa.String(length=200), nullable=False),
    sa.Column("postal_code", sa.String(length=12), nullable=False),
    sa.Column("city", sa.String(length=100), nullable=False),
    sa.Column("country", sa.String(length=2), nullable=False),
    sa.ForeignKeyConstraint(["contact_id"], ["contacts.id"], name=op.f("fk_contact_persons_contact_id_contacts"), ondelete="CASCADE"),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_persons")),
    )
    with op.batch_alter_table("contact_persons", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_contact_persons_contact_id"), ["contact_id"], unique=False)

    op.create_table("contact_custom_field_defs",
    sa.Column("id", PK, nullable=False),
    sa.Column("tenant_id", PK, nullable=False),
    sa.Column("key", sa.String(length=60), nullable=False),
    sa.Column("label", sa.String(length=200), nullable=False),
    sa.Column("kind", sa.String(length=10), nullable=False),
    sa.Column("required", sa.Boolean(), nullable=False),
    sa.Column("on_documents", sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_contact_custom_field_defs_tenant_id_tenants"), ondelete="CASCADE"),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_custom_field_defs")),
    sa.UniqueConstraint("tenant_id", "key", name="uq_contact_custom_field_defs_tenant_key"),
    )
    op.create_table("contact_attachments",
    sa.Column("id", PK, nullable=False),
    sa.Column("contact_id", PK, nullable=False),
    sa.Column("filename", sa.String(length=500), nullable=False),
    sa.Column("content_type", sa.String(length=200), nullable=False),
    sa.Column("size", sa.Integer(), nullable=False),
    sa.Column("sha256", sa.String(length=64), nullable=False),
    sa.Column("data", sa.LargeBinary(), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("actor", sa.String(length=320), nullable=False),
    sa.ForeignKeyConstraint(["contact_id"], ["contacts.id"], name=op.f("fk_contact_attachments_contact_id_contacts"), ondelete="CASCADE"),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_attachments")),
    )
    with op.batch_alter_table("contact_attachments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_contact_attachments_contact_id"), ["contact_id"], unique=False)

    op.create_table("contact_invoices",
    sa.Column("id", PK, nullable=False),
    sa.Column("tenant_id", PK, nullable=False),
    sa.Column("contact_id", PK, nullable=False),
    sa.Column("invoice_number", sa.String(length=60), nullable=False),
    sa.Column("amount_cents", sa.BigInteger(), nullable=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("actor", sa.String(length=320), nullable=False),
    sa.ForeignKeyConstraint(["contact_id"], ["contacts.id"], name=op.f("fk_contact_invoices_contact_id_contacts"), ondelete="CASCADE"),
    sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_contact_invoices_tenant_id_tenants"), ondelete="CASCADE"),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_invoices")),
    sa.UniqueConstraint("tenant_id", "invoice_number", name="uq_contact_invoices_tenant_invoice_number"),
    )
    with op.batch_alter_table("contact_invoices", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_contact_invoices_contact_id"), ["contact_id"], unique=False)

    with op.batch_alter_table("tenants", schema=None) as batch_op:
        batch_op.add_column(sa.Column("customer_number_format", sa.String(length=60),
                                      server_default="C{year}{seq:04}", nullable=False))

    with op.batch_alter_table("quote_requests", schema=None) as batch_op:
        batch_op.add_column(sa.Column("assignee_user_id", PK, nullable=True))
        batch_op.add_column(sa.Column("contact_id", PK, nullable=True))
        batch_op.add_column(sa.Column("previous_status", sa.String(length=20), nullable=True))
        batch_op.create_index(batch_op.f("ix_quote_requests_assignee_user_id"), ["assignee_user_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_quote_requests_contact_id"), ["contact_id"], unique=False)
        batch_op.create_foreign_key(batch_op.f("fk_quote_requests_assignee_user_id_users"), "users",
                                    ["assignee_user_id"], ["id"], ondelete="SET NULL")
        batch_op.create_foreign_key(batch_op.f("fk_quote_requests_contact_id_contacts"), "contacts",
                                    ["contact_id"], ["id"], ondelete="SET NULL")


def downgrade() -> None:
    with op.batch_alter_table("quote_requests", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_quote_requests_contact_id_contacts"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("fk_quote_requests_assignee_user_id_users"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_quote_requests_contact_id"))
        batch_op.drop_index(batch_op.f("ix_quote_requests_assignee_user_id"))
        batch_op.drop_column("previous_status")
        batch_op.drop_column("contact_id")
        batch_op.drop_column("assignee_user_id")

    with op.batch_alter_table("tenants", schema=None) as batch_op:
        batch_op.drop_column("customer_number_format")

    op.drop_table("contact_invoices")
    op.drop_table("contact_attachments")
    op.drop_table("contact_custom_field_defs")
    op.drop_table("contact_persons")
    op.drop_table("contacts")
    op.drop_table("users")
