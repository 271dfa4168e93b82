"""Alembic environment: runs against the engine handed in by store.db.migrate.

On SQLite, batch migrations re-create a table (copy, drop, rename). With foreign keys on, that
DROP would cascade-delete every row pointing at the table (messages of a request), so foreign keys
are off while migrating. The pragma only works outside a transaction: it is set on the DBAPI
connection before SQLAlchemy begins one, and restored afterwards.
"""

from alembic import context

from quotemaild.store.models import Base

engine = context.config.attributes["engine"]
with engine.connect() as connection:
    sqlite = connection.dialect.name == "sqlite"
    raw = connection.connection.dbapi_connection
    if sqlite:
        raw.execute("PRAGMA foreign_keys=OFF")
    try:
        context.configure(
            connection=connection,
            target_metadata=Base.metadata,
            render_as_batch=True,  # SQLite can only ALTER through table copies
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()
    finally:
        if sqlite:
            raw.execute("PRAGMA foreign_keys=ON")
