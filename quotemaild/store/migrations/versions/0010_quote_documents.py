"""quote documents: versions, notes, who decided; the tenant's company profile and logo;
prospect activity, a contact's seller and the reminders of its appointments and call-backs

Revision ID: 0010
Revises: 0013

Existing rows survive: every new column has a server default or is nullable. Existing quotes
become version 1 of themselves.
"""

from alembic import op
import sqlalchemy as sa


revision = "0010"
down_revision = "0013"
branch_labels = None
depends_on = None

PK = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("quotes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("version", sa.Integer(), server_default="1", nullable=False))
        batch_op.add_column(sa.Column("previous_id", PK, nullable=True))
        batch_op.add_column(sa.Column("notes", sa.Text(), server_default="", nullable=False))
        batch_op.add_column(sa.Column("contact_person", sa.String(length=200), server_default="", nullable=False))
        batch_op.add_column(sa.Column("decided_by", sa.String(length=200), server_default="", nullable=False))
        batch_op.add_column(sa.Column("decided_from", sa.String(length=100), server_default="", nullable=False))
        batch_op.create_foreign_key(batch_op.f("fk_quotes_previous_id_quotes"), "quotes", ["previous_id"], ["id"],
                                    ondelete="SET NULL")
        batch_op.create_index("ix_quotes_tenant_issue_date", ["tenant_id", "issue_date"], unique=False)
    with op.batch_alter_table("tenants", schema=None) as batch_op:
        batch_op.add_column(sa.Column("profile", sa.JSON(), server_default="{}", nullable=False))
        batch_op.add_column(sa.Column("logo", sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column("logo_type", sa.String(length=40), server_default="", nullable=False))
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("active", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column("seller_user_id", PK, nullable=True))
        batch_op.create_foreign_key(batch_op.f("fk_contacts_seller_user_id_users"), "users", ["seller_user_id"],
                                    ["id"], ondelete="SET NULL")
    op.create_table("contact_reminders",
    sa.Column("id", PK, nullable=False),
    sa.Column("tenant_id", PK, nullable=False),
    sa.Column("contact_id", PK, nullable=False),
    sa.Column("kind", sa.String(length=20), nullable=False),
    sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("note", sa.Text(), nullable=False),
    sa.Column("state", sa.String(length=10), nullable=False),
    sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("recipient", sa.String(length=320), nullable=False),
    sa.Column("outbox_id", PK, nullable=True),
    sa.Column("detail", sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_contact_reminders_tenant_id_tenants"),
                            ondelete="CASCADE"),
    sa.ForeignKeyConstraint(["contact_id"], ["contacts.id"], name=op.f("fk_contact_reminders_contact_id_contacts"),
                            ondelete="CASCADE"),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_reminders")),
    sa.UniqueConstraint("contact_id", "kind", name="uq_contact_reminders_contact_kind"),
    )
    with op.batch_alter_table("contact_reminders", schema=None) as batch_op:
        batch_op.create_index("ix_contact_reminders_state_due", ["state", "due_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("contact_reminders", schema=None) as batch_op:
        batch_op.drop_index("ix_contact_reminders_state_due")
    op.drop_table("contact_reminders")
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_contacts_seller_user_id_users"), type_="foreignkey")
        batch_op.drop_column("seller_user_id")
        batch_op.drop_column("active")
    with op.batch_alter_table("tenants", schema=None) as batch_op:
        batch_op.drop_column("logo_type")
        batch_op.drop_column("logo")
        batch_op.drop_column("profile")
    with op.batch_alter_table("quotes", schema=None) as batch_op:
        batch_op.drop_index("ix_quotes_tenant_issue_date")
        batch_op.drop_constraint(batch_op.f("fk_quotes_previous_id_quotes"), type_="foreignkey")
        for column in ("decided_from", "decided_by", "contact_person", "notes", "previous_id", "version"):
            batch_op.drop_column(column)
