"""quote documents: versions, notes, who decided; the tenant's company profile and logo

Revision ID: 0010
Revises: 0008

Existing rows survive: every new column has a server default or is nullable. Existing quotes
become version 1 of themselves.
"""

from alembic import op
import sqlalchemy as sa


revision = "0010"
down_revision = "0008"
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


def downgrade() -> None:
    with op.batch_alter_table("tenants", schema=None) as batch_op:
        batch_op.drop_column("logo_type")
        batch_op.drop_column("logo")
        batch_op.drop_column("profile")
    with op.batch_alter_table("quotes", schema=None) as batch_op:
        batch_op.drop_index("ix_quotes_tenant_issue_date")
        batch_op.drop_constraint(batch_op.f("fk_quotes_previous_id_quotes"), type_="foreignkey")
        for column in ("decided_from", "decided_by", "contact_person", "notes", "previous_id", "version"):
            batch_op.drop_column(column)
