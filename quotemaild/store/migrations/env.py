"""Alembic environment: runs against the engine handed in by store.db.migrate."""

from alembic import context

from quotemaild.store.models import Base

engine = context.config.attributes["engine"]
with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=True,  # SQLite can only ALTER through table copies
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
