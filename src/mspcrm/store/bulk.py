"""Set-wise writes and look-ups for bulk import.

Ids are allocated up front (so related rows can name them before anything is
sent), rows go out as one ``executemany`` on SQLite or one ``COPY ... FROM
STDIN`` on PostgreSQL, and a whole batch's natural keys are looked up with one
query per key shape. Values are stored exactly as SQLAlchemy would store them:
the column types' own bind processors convert them (SQLite), psycopg's adapters
do (PostgreSQL COPY).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection, Dialect

from mspcrm.domain.entity import Entity, snake
from mspcrm.store.database import WRITE_OPTION, Database
from mspcrm.store.schema import entity_table

KEY_CHUNK = 500  # natural keys per look-up query (bound parameters stay well under limits)
# SQLite, for an import's batches: commits that do not wait for the disk, and the WAL
# checkpointed every ~40 MB instead of every ~4 MB (a batch writes several MB)
SQLITE_BATCH = {"synchronous": "NORMAL", "wal_autocheckpoint": 10_000}
ROWS_PER_STATEMENT = 500  # SQLite: rows per multi-row INSERT (bound by its variable limit)
ANALYZE_AFTER = 2_000  # PostgreSQL: new rows before the first re-analysis
Processor = Callable[[Any], Any]


@contextmanager
def batch_write(db: Database) -> Iterator[Connection]:
    """``Database.write`` for one batch of an import: a transaction whose commit does not
    wait for the disk (SQLite WAL ``synchronous=NORMAL``, PostgreSQL ``synchronous_commit
    off``). A crash of the machine may lose the last batches whole, with the job's progress
    that is in the same transaction, never part of one (a killed process loses nothing);
    the next ordinary commit (the job's end) makes every earlier one durable, as both
    engines write their log in order."""
    with db.engine.connect() as conn:
        sqlite = db.dialect == "sqlite"
        raw: Any = conn.connection.driver_connection
        if sqlite:  # outside a transaction: the connection has not begun one yet
            before = [raw.execute(f"PRAGMA {name}").fetchone()[0] for name in SQLITE_BATCH]
            for name, value in SQLITE_BATCH.items():
                raw.execute(f"PRAGMA {name}={value}")
        try:
            writer = conn.execution_options(**{WRITE_OPTION: True})
            with writer.begin():
                if not sqlite:
                    writer.exec_driver_sql("SET LOCAL synchronous_commit TO OFF")
                yield writer
        finally:
            if sqlite:
                for name, value in zip(SQLITE_BATCH, before, strict=True):
                    raw.execute(f"PRAGMA {name}={int(value)}")


class BulkWriteError(Exception):
    """The database refused a set-wise insert (a constraint, a trigger): nothing of it stays
    once the caller's savepoint is rolled back."""


def allocate_ids(conn: Connection, table: sa.Table, count: int) -> list[int]:
    """``count`` new ids for ``table``, in increasing order, reserved for this transaction.

    SQLite: the ids after the highest one (what SQLite itself would assign; a write
    transaction holds the database lock). PostgreSQL: taken from the id sequence, so
    concurrent writers never collide.
    """
    if count <= 0:
        return []
    if conn.dialect.name == "postgresql":
        statement = sa.text(
            "SELECT nextval(pg_get_serial_sequence(:t, 'id')) FROM generate_series(1, :n)"
        )
        return sorted(int(r[0]) for r in conn.execute(statement, {"t": table.name, "n": count}))
    highest = conn.execute(sa.select(sa.func.max(table.c.id))).scalar()
    start = int(highest or 0) + 1
    return list(range(start, start + count))


def _processor(column: sa.Column[Any], dialect: Dialect) -> Processor | None:
    """JSON as its text (orjson: 5-10x ``json.dumps``); on SQLite every other type as its
    bind processor stores it; psycopg adapts the rest itself (COPY)."""
    implementation = column.type.dialect_impl(dialect)
    if isinstance(implementation, sa.JSON):
        return _json_text
    if dialect.name == "postgresql":
        return None
    process = implementation.bind_processor(dialect)
    if process is None or not isinstance(implementation, sa.DateTime):
        return process
    return _remembering(process)


def _remembering(process: Processor) -> Processor:
    """A datetime processor that reuses its last answer: the stamps of a batch are one
    moment, converted once instead of once per row."""
    last: list[Any] = [None, None]

    def run(value: Any) -> Any:
        if value is not last[0]:
            last[0], last[1] = value, process(value)
        return last[1]

    return run


def _json_text(value: Any) -> Any:
    return None if value is None else orjson.dumps(value).decode()


class BulkInsert:
    """Rows of a fixed column list for one table, converted and sent set-wise."""

    def __init__(self, dialect: Dialect, table: sa.Table, columns: Sequence[str]) -> None:
        self.table = table
        self.columns = tuple(columns)
        self.postgres = dialect.name == "postgresql"
        quote = dialect.identifier_preparer
        names = ", ".join(quote.quote(c) for c in self.columns)
        target = quote.format_table(table)
        if self.postgres:
            self.sql = f"COPY {target} ({names}) FROM STDIN"
            processors = [_processor(table.c[c], dialect) for c in self.columns]
        else:
            self.sql = f"INSERT INTO {target} ({names}) VALUES "
            self.marks = "(" + ", ".join("?" for _ in self.columns) + ")"
            processors = [_processor(table.c[c], dialect) for c in self.columns]
            limit = 32766 if sqlite3.sqlite_version_info >= (3, 32) else 999
            self.per_statement = max(1, min(ROWS_PER_STATEMENT, limit // len(self.columns)))
        self.processors = [(i, p) for i, p in enumerate(processors) if p is not None]

    def _converted(self, rows: Iterable[Sequence[Any]]) -> list[Sequence[Any]]:
        if not self.processors:
            return list(rows)
        out: list[Sequence[Any]] = []
        for row in rows:
            values = list(row)
            for index, process in self.processors:
                values[index] = process(values[index])
            out.append(values)
        return out

    def write(self, conn: Connection, rows: Iterable[Sequence[Any]]) -> None:
        converted = self._converted(rows)
        if not converted:
            return
        driver_error = conn.dialect.loaded_dbapi.Error
        try:
            if self.postgres:
                self._copy(conn, converted)
            else:
                self._insert(conn, converted)
        except (sa.exc.DBAPIError, driver_error) as exc:
            raise BulkWriteError(str(getattr(exc, "orig", exc))) from exc

    def _insert(self, conn: Connection, rows: list[Sequence[Any]]) -> None:
        """Multi-row INSERTs: one statement per few hundred rows, not one per row (a
        statement per row also makes an FTS5 index kept by triggers flush at every row)."""
        raw: Any = conn.connection.driver_connection
        cursor = raw.cursor()
        try:
            step = self.per_statement
            statements: dict[int, str] = {}
            for start in range(0, len(rows), step):
                chunk = rows[start : start + step]
                sql = statements.get(len(chunk))
                if sql is None:
                    sql = statements[len(chunk)] = self.sql + ", ".join([self.marks] * len(chunk))
                cursor.execute(sql, [value for row in chunk for value in row])
        finally:
            cursor.close()

    def _copy(self, conn: Connection, rows: list[Sequence[Any]]) -> None:
        raw: Any = conn.connection.driver_connection
        with raw.cursor() as cursor, cursor.copy(self.sql) as copy:
            for row in rows:
                copy.write_row(row)


def insert_rows(
    conn: Connection, table: sa.Table, columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> None:
    """One set-wise insert of ``rows`` (each a sequence in ``columns`` order)."""
    BulkInsert(conn.dialect, table, columns).write(conn, rows)


class Statistics:
    """PostgreSQL plans the natural-key look-up from the table's statistics: stale ones (a
    table that was empty when last analysed) make it scan the whole table for every batch.
    ``refresh`` re-analyses the table each time the import has doubled it (about 20 times
    for a million rows into an empty table); SQLite needs none of it."""

    def __init__(self, conn: Connection, table: sa.Table) -> None:
        self.table = table
        self.postgres = conn.dialect.name == "postgresql"
        self.known = 0
        if self.postgres:
            statement = sa.text("SELECT reltuples FROM pg_class WHERE oid = to_regclass(:t)")
            self.known = max(0, int(conn.execute(statement, {"t": table.name}).scalar() or 0))
        self.added = 0

    def refresh(self, conn: Connection, added: int) -> None:
        """Count ``added`` new rows; analyse when they outnumber the rows last analysed."""
        self.added += added
        if not self.postgres or self.added < max(ANALYZE_AFTER, self.known):
            return
        target = conn.dialect.identifier_preparer.format_table(self.table)
        conn.exec_driver_sql(f"ANALYZE {target}")
        self.known += self.added
        self.added = 0


def key_expression(entity: Entity, name: str) -> sa.ColumnElement[Any]:
    """How ``repository.find_ids`` compares a field: text by ``lower()``, the rest as is."""
    field = entity.require(name)
    column = entity_table(entity).c[snake(field.name)]
    return sa.func.lower(column) if field.is_text else column


def ids_by_key(
    conn: Connection,
    entity: Entity,
    fields: Sequence[str],
    keys: Iterable[tuple[Any, ...]],
) -> dict[tuple[Any, ...], list[int]]:
    """The ids of the records each key names, in id order (keys not found are left out).

    A key holds one value per field of ``fields``: text already lower-cased (Python's
    ``str.lower``, as ``find_ids`` compares it), other values as stored. The database
    compares exactly as ``repository.find_ids`` does. SQLite: ``IN`` lists (its planner
    probes the index per value); PostgreSQL: a join with the keys as arrays, so the plan
    (hash join or index probes) does not depend on a prepared statement's generic plan,
    which for ``IN`` lists scans the table comparing every row with every key.
    """
    wanted = list(dict.fromkeys(keys))
    postgres = conn.dialect.name == "postgresql"
    size = KEY_CHUNK * 10 if postgres else KEY_CHUNK
    found: dict[tuple[Any, ...], list[int]] = {}
    for start in range(0, len(wanted), size):
        chunk = wanted[start : start + size]
        statement = (_joined if postgres else _listed)(entity, fields, chunk)
        chosen = set(chunk)
        for row in conn.execute(statement):
            key = tuple(row[1:])
            if key in chosen:
                found.setdefault(key, []).append(int(row[0]))
    for ids in found.values():
        ids.sort()
    return found


def _listed(entity: Entity, fields: Sequence[str], chunk: list[tuple[Any, ...]]) -> Any:
    table = entity_table(entity)
    expressions = [key_expression(entity, name) for name in fields]
    statement = sa.select(table.c.id, *expressions)
    for position, expression in enumerate(expressions):
        statement = statement.where(expression.in_({key[position] for key in chunk}))
    return statement


def _joined(entity: Entity, fields: Sequence[str], chunk: list[tuple[Any, ...]]) -> Any:
    table = entity_table(entity)
    expressions = [key_expression(entity, name) for name in fields]
    arrays = [
        sa.bindparam(
            f"keys{position}",
            [key[position] for key in chunk],
            type_=postgresql.ARRAY(sa.Text() if entity.require(name).is_text else sa.BigInteger()),
        )
        for position, name in enumerate(fields)
    ]
    names = [f"v{position}" for position in range(len(fields))]
    given = sa.func.unnest(*arrays).table_valued(*names).render_derived(name="given")
    on = sa.and_(*(e == given.c[n] for e, n in zip(expressions, names, strict=True)))
    return sa.select(table.c.id, *expressions).join_from(table, given, on)
