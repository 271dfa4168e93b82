"""raw_message_data: the bytes of raw messages move to a table of their own

Revision ID: 0007
Revises: 0006

Processing updates the state of every raw message, and on SQLite an UPDATE rewrites the whole
row: with the bytes inline, a message near the size limit was read into memory and written to the
log again just to be marked processed. Existing bytes are copied over; purged raw copies (whose
bytes were already emptied) get no row.
"""

from alembic import op
import sqlalchemy as sa


revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

PK = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "raw_message_data",
        sa.Column("raw_id", PK, nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["raw_id"], ["raw_messages.id"], name=op.f("fk_raw_message_data_raw_id_raw_messages"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("raw_id", name=op.f("pk_raw_message_data")),
    )
    op.execute("INSERT INTO raw_message_data (raw_id, data) SELECT id, data FROM raw_messages WHERE purged_at IS NULL")
    with op.batch_alter_table("raw_messages", schema=None) as batch_op:
        batch_op.drop_column("data")


def downgrade() -> None:
    empty = sa.text("x''") if op.get_bind().dialect.name == "sqlite" else sa.text("''::bytea")
    with op.batch_alter_table("raw_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("data", sa.LargeBinary(), nullable=False, server_default=empty))
    op.execute("UPDATE raw_messages SET data = (SELECT d.data FROM raw_message_data d WHERE d.raw_id = raw_messages.id)"
               " WHERE id IN (SELECT raw_id FROM raw_message_data)")
    op.drop_table("raw_message_data")
