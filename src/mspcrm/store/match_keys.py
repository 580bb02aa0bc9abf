"""The duplicate pre-filter: blocking keys per record, indexed, so a check reads few rows.

Besides keeping each record's keys (``replace``/``remove``, called on every write), this
module reads the index the two ways duplicate detection needs: the records sharing the
most keys with one candidate (``candidates``, each key's block read only up to a cap),
and a whole table's blocks, streamed key by key (``blocks``), with the few fields the
scorer reads (``read_fields``) instead of whole records.
"""

from __future__ import annotations

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
STREAM_ROWS = 10_000  # rows a server-side cursor fetches at a time


def stored_key(key: str) -> str:
    """The key as the index holds it (cut to the column's length)."""
    return key[:MAX_KEY_LENGTH]


def replace(conn: Connection, entity: str, record_id: int, keys: Iterable[str]) -> None:
    conn.execute(sa.delete(mk).where(mk.c.entity == entity, mk.c.record_id == record_id))
    insert_many(conn, entity, [(record_id, keys)])


def insert_many(
    conn: Connection, entity: str, records: Iterable[tuple[int, Iterable[str]]]
) -> None:
    """Add the keys of records that have none yet, in one statement."""
    rows = [
        {"entity": entity, "key": key, "record_id": record_id}
        for record_id, keys in records
        for key in {stored_key(k) for k in keys}
    ]
    if rows:
        conn.execute(sa.insert(mk), rows)


def remove(conn: Connection, entity: str, record_id: int) -> None:
    conn.execute(sa.delete(mk).where(mk.c.entity == entity, mk.c.record_id == record_id))


def candidates(
    conn: Connection,
    entity: str,
    keys: Iterable[str] | Mapping[str, float],
    *,
    limit: int = 200,
    max_block: int | None = None,
) -> list[int]:
    """Ids sharing the most keys with ``keys`` (summing their weights, when given), best
    first, ties by id. With ``max_block``, a key shared by more records than that is
    ignored (a switchboard number, a common word) and no key's block is read further."""
    weights = _weights(keys)
    if not weights:
        return []
    if max_block is None:
        members = _members(conn, entity, sorted(weights))
    else:
        members = _capped_members(conn, entity, sorted(weights), max_block + 1)
    score: dict[int, float] = {}
    for key, ids in members.items():
        if max_block is not None and len(ids) > max_block:
            continue
        for record_id in ids:
            score[record_id] = score.get(record_id, 0.0) + weights[key]
    ranked = sorted(score.items(), key=lambda item: (-item[1], item[0]))
    return [record_id for record_id, _ in ranked[:limit]]


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
    conn: Connection, entity: str, keys: list[str], cap: int
) -> dict[str, list[int]]:
    """Up to ``cap`` ids per key, every key in one round trip (an index range each)."""
    parts = [
        sa.select(sa.literal(n).label("n"), mk.c.record_id)
        .where(mk.c.entity == entity, mk.c.key == key)
        .limit(cap)
        .subquery()
        for n, key in enumerate(keys)
    ]
    statement = sa.union_all(*(sa.select(part.c.n, part.c.record_id) for part in parts))
    found: dict[str, list[int]] = {}
    for n, record_id in conn.execute(statement):
        found.setdefault(keys[n], []).append(int(record_id))
    return found


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


def blocks(
    conn: Connection, entity: str, families: Iterable[str], max_block: int
) -> Iterator[tuple[str, list[int]]]:
    """(key, ids) for every key of these families shared by 2 to ``max_block`` records,
    streamed family by family in key order (the index is never read whole into memory)."""
    for family in sorted(families):
        in_family = _family(conn, family)
        shared = (
            sa.select(mk.c.key)
            .where(mk.c.entity == entity, in_family)
            .group_by(mk.c.key)
            .having(sa.func.count().between(2, max_block))
        )
        statement = (
            sa.select(mk.c.key, mk.c.record_id)
            .where(mk.c.entity == entity, in_family, mk.c.key.in_(shared.scalar_subquery()))
            .order_by(mk.c.key, mk.c.record_id)
        )
        rows = conn.execution_options(stream_results=True, yield_per=STREAM_ROWS).execute(statement)
        for key, members in groupby(rows, key=lambda row: str(row[0])):
            yield key, [int(row[1]) for row in members]


@lru_cache(maxsize=16)
def _fields_statement(entity: Entity, fields: tuple[str, ...]) -> sa.Select[Any]:
    table = entity_table(entity)
    columns = [table.c[snake(entity.require(name).name)] for name in fields]
    return sa.select(*columns).where(table.c.id.in_(sa.bindparam("ids", expanding=True)))


def read_fields(
    conn: Connection, entity: Entity, fields: tuple[str, ...], ids: Sequence[int]
) -> list[dict[str, Any]]:
    """The records' ``fields`` (wire names, stored values; 'id' among them), in id order."""
    statement = _fields_statement(entity, fields)
    wanted = sorted(set(ids))
    found: list[dict[str, Any]] = []
    for start in range(0, len(wanted), ID_CHUNK):
        chunk = wanted[start : start + ID_CHUNK]
        found.extend(
            dict(zip(fields, row, strict=True)) for row in conn.execute(statement, {"ids": chunk})
        )
    found.sort(key=lambda record: int(record["id"]))
    return found


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
    clear(conn, entity.name)
    total = 0
    for page in iter_fields(conn, entity, fields):
        insert_many(conn, entity.name, [(int(r["id"]), keys_of(r)) for r in page])
        total += len(page)
    return total


def count(conn: Connection, entity: str) -> int:
    statement = sa.select(sa.func.count()).select_from(mk).where(mk.c.entity == entity)
    return int(conn.execute(statement).scalar_one())


def clear(conn: Connection, entity: str) -> None:
    conn.execute(sa.delete(mk).where(mk.c.entity == entity))
