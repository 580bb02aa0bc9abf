"""The duplicate pre-filter: blocking keys per record, indexed, so a check reads few rows.

Besides keeping each record's keys (``replace``/``remove``, called on every write), this
module reads the index the two ways duplicate detection needs: the records sharing the
most keys with one candidate (``shared_keys``, each key's block read only up to a cap),
and a whole table's blocks, streamed key by key (``blocks``), with the few fields the
scorer reads (``read_fields``) instead of whole records.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from functools import lru_cache
from itertools import groupby
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from mspcrm.domain.entity import Entity, snake
from mspcrm.store.schema import entity_table
from mspcrm.store.schema import match_keys as mk

MAX_KEY_LENGTH = 200
ID_CHUNK = 1000  # ids per IN list


def stored_key(key: str) -> str:
    """The key as the index holds it (cut to the column's length)."""
    return key[:MAX_KEY_LENGTH]


def replace(conn: Connection, entity: str, record_id: int, keys: Iterable[str]) -> None:
    conn.execute(sa.delete(mk).where(mk.c.entity == entity, mk.c.record_id == record_id))
    insert_many(conn, entity, [(record_id, keys)])


def insert_many(
    conn: Connection, entity: str, records: Iterable[tuple[int, Iterable[str]]]
) -> None:
    """Add the keys of records that have none yet, in one statement (the driver's own
    executemany: a rebuild inserts millions of rows, SQLAlchemy's per-row work is most
    of the cost on SQLite)."""
    rows = [
        (entity, key, record_id)
        for record_id, keys in records
        for key in sorted({stored_key(k) for k in keys})
    ]
    if rows:
        conn.exec_driver_sql(_insert_sql(conn), rows)


def _insert_sql(conn: Connection) -> str:
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    table = conn.dialect.identifier_preparer.format_table(mk)
    return f"INSERT INTO {table} (entity, key, record_id) VALUES ({mark}, {mark}, {mark})"


def remove(conn: Connection, entity: str, record_id: int) -> None:
    conn.execute(sa.delete(mk).where(mk.c.entity == entity, mk.c.record_id == record_id))


def shared_keys(
    conn: Connection,
    entity: str,
    keys: Iterable[str] | Mapping[str, float],
    *,
    limit: int = 200,
    max_block: int | None = None,
) -> tuple[list[tuple[int, list[str]]], set[str]]:
    """The ids sharing the most keys with ``keys`` (summing their weights, when given),
    best first, ties by id, each with the keys it shares; and the keys ignored as crowded:
    with ``max_block``, a key shared by more records than that (a switchboard number, a
    common word) is ignored, and no key's block is read further."""
    weights = _weights(keys)
    if not weights:
        return [], set()
    crowded: set[str] = set()
    if max_block is None:
        members = _members(conn, entity, sorted(weights))
    else:
        members, crowded = _capped_members(conn, entity, sorted(weights), max_block)
    score: dict[int, float] = {}
    held: dict[int, list[str]] = {}
    for key, ids in members.items():
        for record_id in ids:
            score[record_id] = score.get(record_id, 0.0) + weights[key]
            held.setdefault(record_id, []).append(key)
    ranked = sorted(score.items(), key=lambda item: (-item[1], item[0]))
    return [(record_id, held[record_id]) for record_id, _ in ranked[:limit]], crowded


def _weights(keys: Iterable[str] | Mapping[str, float]) -> dict[str, float]:
    weights: dict[str, float] = {}
    pairs = keys.items() if isinstance(keys, Mapping) else ((k, 1.0) for k in keys)
    for key, weight in pairs:
        cut = stored_key(key)
        weights[cut] = max(weights.get(cut, 0.0), weight)
    return weights


def _members(conn: Connection, entity: str, keys: list[str]) -> dict[str, list[int]]:
    statement = sa.select(mk.c.key, mk.c.record_id).where(mk.c.entity == entity, mk.c.key.in_(keys))
    found: dict[str, list[int]] = {}
    for key, record_id in conn.execute(statement):
        found.setdefault(key, []).append(int(record_id))
    return found


def _capped_members(
    conn: Connection, entity: str, keys: list[str], max_block: int
) -> tuple[dict[str, list[int]], set[str]]:
    """The ids of each key shared by at most ``max_block`` records, and the other keys.

    Two round trips of the driver's own statements: each key's block counted (an index
    range read up to ``max_block + 1`` entries, whatever the table's size), then the ids
    of the keys that are not crowded (a crowded one's rows never leave the database)."""
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    table = conn.dialect.identifier_preparer.format_table(mk)
    count = (
        f"SELECT {mark}, count(*) FROM (SELECT 1 FROM {table} "
        f"WHERE entity = {mark} AND key = {mark} LIMIT {mark}) AS capped"
    )
    sql = " UNION ALL ".join([count] * len(keys))
    parameters: list[Any] = []
    for n, key in enumerate(keys):
        parameters += [n, entity, key, max_block + 1]
    sizes: dict[int, int] = dict(conn.exec_driver_sql(sql, tuple(parameters)).fetchall())
    crowded = {key for n, key in enumerate(keys) if sizes.get(n, 0) > max_block}
    wanted = [key for n, key in enumerate(keys) if 0 < sizes.get(n, 0) <= max_block]
    found: dict[str, list[int]] = {}
    if wanted:
        places = ", ".join([mark] * len(wanted))
        rows = conn.exec_driver_sql(
            f"SELECT key, record_id FROM {table} WHERE entity = {mark} AND key IN ({places})",
            (entity, *wanted),
        ).fetchall()
        for key, record_id in rows:
            found.setdefault(key, []).append(int(record_id))
    return found, crowded


def _family(conn: Connection, family: str) -> sa.ColumnElement[bool]:
    """Keys of one family ('domain' -> 'domain:...'), as an index range where it is one."""
    prefix = f"{family}:"
    if conn.dialect.name == "sqlite":  # binary collation: the range is exactly the prefix
        return sa.and_(mk.c.key >= prefix, mk.c.key < f"{family};")
    return mk.c.key.startswith(prefix, autoescape=True)


def crowded(conn: Connection, entity: str, families: Iterable[str], max_block: int) -> set[str]:
    """The keys of these families shared by more than ``max_block`` records."""
    found: set[str] = set()
    for family in sorted(families):
        statement = (
            sa.select(mk.c.key)
            .where(mk.c.entity == entity, _family(conn, family))
            .group_by(mk.c.key)
            .having(sa.func.count() > max_block)
        )
        found.update(conn.execute(statement).scalars())
    return found


def holders(conn: Connection, entity: str, keys: Iterable[str]) -> set[int]:
    """The ids of the records holding any of these keys."""
    wanted = sorted({stored_key(k) for k in keys})
    found: set[int] = set()
    for start in range(0, len(wanted), ID_CHUNK):
        statement = sa.select(mk.c.record_id).where(
            mk.c.entity == entity, mk.c.key.in_(wanted[start : start + ID_CHUNK])
        )
        found.update(int(i) for i in conn.execute(statement).scalars())
    return found


def blocks(
    conn: Connection,
    entity: str,
    family: str,
    max_block: int,
    *,
    after: str | None = None,
    limit: int = 20_000,
) -> list[tuple[str, list[int]]]:
    """(key, ids) for the first ``limit`` keys of a family after ``after`` (in key order)
    shared by 2 to ``max_block`` records: one page of a scan, read in one short statement
    (an index range from ``after``, grouped, stopping at ``limit`` keys)."""
    in_family = _family(conn, family)
    where = [mk.c.entity == entity, in_family]
    if after is not None:
        where.append(mk.c.key > after)
    shared = (
        sa.select(mk.c.key)
        .where(*where)
        .group_by(mk.c.key)
        .having(sa.func.count().between(2, max_block))
        .order_by(mk.c.key)
        .limit(limit)
    )
    statement = (
        sa.select(mk.c.key, mk.c.record_id)
        .where(*where, mk.c.key.in_(shared.scalar_subquery()))
        .order_by(mk.c.key, mk.c.record_id)
    )
    rows = conn.execute(statement).fetchall()
    return [
        (key, [int(row[1]) for row in members])
        for key, members in groupby(rows, key=lambda row: str(row[0]))
    ]


def read_fields(
    conn: Connection, entity: Entity, fields: tuple[str, ...], ids: Sequence[int]
) -> list[dict[str, Any]]:
    """The records' ``fields`` (wire names, stored values; 'id' among them), in id order.

    The driver's own statement (one parameter whatever the number of ids: SQLite reads a
    JSON array, PostgreSQL an array), so a scan reading a million records by id spends
    its time in the database, not in building statements and rows."""
    sql = _fields_sql(conn.dialect, entity, fields)
    wanted = sorted(set(ids))
    found: list[dict[str, Any]] = []
    for start in range(0, len(wanted), ID_CHUNK):
        chunk = wanted[start : start + ID_CHUNK]
        parameter: Any = json.dumps(chunk) if conn.dialect.name == "sqlite" else chunk
        rows = conn.exec_driver_sql(sql, (parameter,)).fetchall()
        found.extend(dict(zip(fields, row, strict=True)) for row in rows)
    found.sort(key=lambda record: int(record["id"]))
    return found


@lru_cache(maxsize=32)
def _fields_sql(dialect: sa.Dialect, entity: Entity, fields: tuple[str, ...]) -> str:
    table = entity_table(entity)
    quote = dialect.identifier_preparer.quote
    columns = ", ".join(quote(table.c[snake(entity.require(name).name)].name) for name in fields)
    match = "IN (SELECT value FROM json_each(?))" if dialect.name == "sqlite" else "= ANY(%s)"
    return f"SELECT {columns} FROM {quote(table.name)} WHERE {quote(table.c.id.name)} {match}"


def iter_fields(
    conn: Connection, entity: Entity, fields: tuple[str, ...], *, batch: int = 5000
) -> Iterator[list[dict[str, Any]]]:
    """Every record's ``fields``, a page of ``batch`` at a time in id order."""
    table = entity_table(entity)
    columns = [table.c[snake(entity.require(name).name)] for name in fields]
    after: int | None = None
    while True:
        statement = sa.select(*columns).order_by(table.c.id).limit(batch)
        if after is not None:
            statement = statement.where(table.c.id > after)
        page = [dict(zip(fields, row, strict=True)) for row in conn.execute(statement)]
        if not page:
            return
        yield page
        after = int(page[-1]["id"])


def rebuild(
    conn: Connection,
    entity: Entity,
    fields: tuple[str, ...],
    keys_of: Callable[[dict[str, Any]], Iterable[str]],
) -> int:
    """Replace every key of an entity with ``keys_of`` each record (``fields`` are what it
    reads, 'id' among them), in one transaction; returns the records indexed."""
    indexes = sorted(mk.indexes, key=lambda index: str(index.name))
    for index in indexes:  # built again at the end, in one pass
        index.drop(conn)
    clear(conn, entity.name)
    total = _add_sorted(conn, entity, fields, keys_of)
    for index in indexes:
        index.create(conn)
    return total


def add_keys(
    conn: Connection,
    entity: Entity,
    fields: tuple[str, ...],
    keys_of: Callable[[dict[str, Any]], Iterable[str]],
    families: Iterable[str],
) -> int:
    """Add every record's keys of these families that the index lacks (a new family of
    keys for an existing database); returns the records read."""
    prefixes = tuple(f"{family}:" for family in families)

    def wanted(record: dict[str, Any]) -> list[str]:
        return [key for key in keys_of(record) if key.startswith(prefixes)]

    return _add_sorted(conn, entity, fields, wanted)


def _add_sorted(
    conn: Connection,
    entity: Entity,
    fields: tuple[str, ...],
    keys_of: Callable[[dict[str, Any]], Iterable[str]],
) -> int:
    """Every record's keys into the index, those it holds already left alone.

    Millions of keys inserted in record order land all over the key index (a 1M-company
    rebuild took ~6 minutes that way on SQLite): they go to an unindexed scratch table
    first, then into the index in key order."""
    scratch = "match_keys_scratch"
    conn.exec_driver_sql(f"DROP TABLE IF EXISTS {scratch}")
    conn.exec_driver_sql(
        f"CREATE TEMPORARY TABLE {scratch} (entity VARCHAR(50), key VARCHAR(200), record_id BIGINT)"
    )
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    into_scratch = f"INSERT INTO {scratch} (entity, key, record_id) VALUES ({mark}, {mark}, {mark})"
    total = 0
    for page in iter_fields(conn, entity, fields):
        rows = [
            (entity.name, key, int(record["id"]))
            for record in page
            for key in {stored_key(k) for k in keys_of(record)}
        ]
        if rows:
            conn.exec_driver_sql(into_scratch, rows)
        total += len(page)
    table = conn.dialect.identifier_preparer.format_table(mk)
    conn.exec_driver_sql(
        f"INSERT INTO {table} (entity, key, record_id) "
        f"SELECT entity, key, record_id FROM {scratch} WHERE true "
        "ORDER BY entity, key, record_id ON CONFLICT DO NOTHING"
    )
    conn.exec_driver_sql(f"DROP TABLE {scratch}")
    return total


def count(conn: Connection, entity: str) -> int:
    statement = sa.select(sa.func.count()).select_from(mk).where(mk.c.entity == entity)
    return int(conn.execute(statement).scalar_one())


def clear(conn: Connection, entity: str) -> None:
    conn.execute(sa.delete(mk).where(mk.c.entity == entity))
