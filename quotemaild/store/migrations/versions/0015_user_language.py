"""a user's language for the web app

Revision ID: 0015
Revises: 0009

NULL means: follow the browser's Accept-Language.
"""

from alembic import op
import sqlalchemy as sa


revision = "0015"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("language", sa.String(length=2), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("language")
