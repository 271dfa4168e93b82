"""Processing's hottest statements on the SQLite driver's own cursor.

Every new request costs a few statements: its row, its message's row, the acknowledgement's read
of what is known of the sender. In SQLite each takes 5-80 us; SQLAlchemy's execution path (an
execution context, parameter and result processing, events) adds 40-50 us to each. Measured on
the sender read: 5 us in the driver, 54 us through `Connection.execute`. As the commit writer
does for the raw copies (`edges/writer.SqliteInserts`), a `DriverStatement` compiles its Core
statement once and, on SQLite, hands the values, put through the columns' own bind processors,
to the driver's cursor in the transaction the connection holds; rows come back through the
columns' result processors. What is written and read is what the ordinary path writes and reads.

It takes the ordinary path (`Connection.execute`) on other databases (on PostgreSQL a round trip
costs more than the path does), while anything listens to the engine's statements or echoes
them (statement counts in tests, `echo`), on a connection with no transaction begun (the
ordinary path begins one), and for a statement it cannot run exactly: an INSERT
whose columns have defaults computed in Python, or expanding (IN) parameters. Errors come as
SQLAlchemy's (`DBAPIError` and its kinds), as on the ordinary path.
"""

from __future__ import annotations

import sqlite3
from collections import namedtuple
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, exc
from sqlalchemy.sql.dml import Insert, UpdateBase
from sqlalchemy.sql.selectable import Select

Processor = Callable[[Any], Any] | None


@dataclass(frozen=True)
class _Compiled:
    sql: str
    names: tuple[str, ...]  # the values' names, in the statement's order
    binds: tuple[Processor, ...]  # their bind processors, in the same order
    fixed: dict[str, Any]  # values the statement holds itself (literals, scalar defaults), processed
    row: type | None  # a namedtuple of the result's column keys; None when it returns no rows
    results: tuple[Processor, ...]  # the result columns' processors
    accepts: frozenset[str]  # the names a caller may give


class DriverStatement:
    """A Core statement built once, run on SQLite's cursor (see the module's docstring).

    `keys`: for an INSERT, the columns the callers give values for (the statement is compiled
    for exactly those, as `Connection.execute` compiles it for the keys of its parameters)."""

    def __init__(self, statement: Select[Any] | UpdateBase, keys: Sequence[str] = ()) -> None:
        self.statement = statement
        self._keys = list(keys) or None
        self._compiled: dict[tuple[Any, ...], _Compiled | None] = {}  # by dialect; None: the ordinary path

    def insert(self, conn: Connection, params: Mapping[str, Any]) -> int:
        """Run an INSERT; the new row's primary key."""
        compiled = self._driver(conn)
        if compiled is None:
            return int(conn.execute(self.statement, dict(params)).inserted_primary_key[0])
        return int(self._run(conn, compiled, params).lastrowid or 0)

    def one(self, conn: Connection, params: Mapping[str, Any]) -> Any:
        """Run a statement that returns exactly one row (a SELECT, a DML with RETURNING); that row,
        its values by column key."""
        compiled = self._driver(conn)
        if compiled is None:
            return conn.execute(self.statement, dict(params)).one()
        assert compiled.row is not None, "the statement returns no rows"
        rows = self._run(conn, compiled, params).fetchall()
        if len(rows) != 1:
            raise exc.NoResultFound("No row was found when one was required") if not rows else \
                exc.MultipleResultsFound("Multiple rows were found when exactly one was required")  # fmt: skip
        return compiled.row._make(
            value if proc is None else proc(value) for proc, value in zip(compiled.results, rows[0], strict=True)
        )

    def _driver(self, conn: Connection) -> _Compiled | None:
        if conn.dispatch.before_cursor_execute or conn.dispatch.after_cursor_execute or conn.engine.echo:
            return None
        if not conn.in_transaction():  # the ordinary path begins one; the driver would autocommit
            return None
        dialect = conn.dialect  # engines of one kind compile alike: one entry each, however many engines
        key = (type(dialect), dialect.paramstyle, dialect.server_version_info)
        if key not in self._compiled:
            self._compiled[key] = _compile(self.statement, conn, self._keys)
        return self._compiled[key]

    @staticmethod
    def _run(conn: Connection, compiled: _Compiled, params: Mapping[str, Any]) -> sqlite3.Cursor:
        if not compiled.accepts.issuperset(params):  # a value the compiled statement would drop
            raise exc.ArgumentError(f"not in the statement: {sorted(set(params) - compiled.accepts)}")
        values = tuple(
            (value if proc is None else proc(value)) if (value := params.get(name, _ABSENT)) is not _ABSENT
            else compiled.fixed[name]
            for name, proc in zip(compiled.names, compiled.binds, strict=True)
        )  # fmt: skip
        driver: sqlite3.Connection = conn.connection.driver_connection  # type: ignore[assignment]
        try:
            return driver.execute(compiled.sql, values)
        except sqlite3.Error as error:
            raise exc.DBAPIError.instance(compiled.sql, values, error, sqlite3.Error, dialect=conn.dialect) from error


_ABSENT = object()


def _compile(statement: Select[Any] | UpdateBase, conn: Connection, keys: list[str] | None) -> _Compiled | None:
    dialect = conn.dialect
    if dialect.name != "sqlite" or not isinstance(conn.connection.driver_connection, sqlite3.Connection):
        return None
    compiled: Any = statement.compile(dialect=dialect, column_keys=keys)
    if compiled.positional is False or "POSTCOMPILE" in compiled.string:
        return None  # expanding or literal-execute parameters: rendered per call
    names = tuple(compiled.positiontup)
    fixed: dict[str, Any] = {}
    for column in (*compiled.insert_prefetch, *compiled.update_prefetch):
        if column.default is None or not column.default.is_scalar:
            return None  # a default computed per row: left to the ordinary path
        fixed[column.key] = column.default.arg
    binds: list[Processor] = []
    for name in names:
        bind = compiled.binds[name]
        if bind.expanding or bind.callable is not None:
            return None
        proc = bind.type.dialect_impl(dialect).bind_processor(dialect)
        binds.append(proc)
        if name in fixed or not bind.required:
            value = fixed.get(name, bind.value)
            fixed[name] = value if proc is None else proc(value)
    columns = list(statement.selected_columns if isinstance(statement, Select) else statement.exported_columns)
    if isinstance(statement, Insert) and not statement._returning:  # an INSERT's exported columns are its table's
        columns = []
    row = namedtuple("Row", [c.key for c in columns], rename=True) if columns else None  # type: ignore[misc]
    results = tuple(c.type.dialect_impl(dialect).result_processor(dialect, None) for c in columns)
    return _Compiled(compiled.string, names, tuple(binds), fixed, row, results, frozenset(names))
