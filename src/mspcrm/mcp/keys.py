"""Idempotency keys and the agent's write log: one row per write tool call.

A write tool reserves its key before it writes and stores its result after;
a retry with the same key gets the first result back and writes nothing. The
same row records which agent made the write and for whom.

Where the rows live:
- a local database: the ``agent_writes`` table (migration 0008), so keys are
  durable with the data and shared by every MCP process on that database;
- a remote server (ours or a real Autotask tenant, whose database we cannot
  add a table to): a JSON file next to the connection profiles, locked while
  it is read and rewritten.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import orjson
from filelock import FileLock

from mspcrm.mcp.safety import Refusal

PENDING, DONE = "pending", "done"


def request_hash(tool: str, arguments: dict[str, Any]) -> str:
    """The same tool with the same arguments (the key aside) hashes the same."""
    body = {k: v for k, v in arguments.items() if k != "idempotency_key"}
    raw = orjson.dumps([tool, body], option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(raw).hexdigest()


def now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def replay_or_refuse(key: str, row: dict[str, Any], digest: str) -> dict[str, Any]:
    """The stored result of an earlier call with this key, or a refusal explaining why not."""
    if row["request_hash"] != digest:
        raise Refusal(
            "idempotency_key_reused",
            f"The idempotency key {key!r} was used for a different request "
            f"({row['tool']} with other arguments).",
            "Use a new key for a new change; reuse a key only to retry the same call.",
        )
    if row["status"] != DONE:
        raise Refusal(
            "idempotency_in_progress",
            f"A call with the idempotency key {key!r} started at {row['created_at']} and "
            "has not finished; its outcome is unknown.",
            "Check the record (search, record_history) before retrying with a new key.",
        )
    result: dict[str, Any] = dict(row["result"] or {})
    return {**result, "replayed": True}


class KeyStore(Protocol):
    def begin(self, key: str, tool: str, digest: str, who: tuple[str, str | None]) -> Any: ...
    def finish(
        self, key: str, result: dict[str, Any], entity: str | None, record_id: Any
    ) -> None: ...
    def release(self, key: str) -> None: ...
    def writes_for(self, entity: str, record_id: int) -> list[dict[str, Any]]: ...


def _public(row: dict[str, Any]) -> dict[str, Any]:
    at = row.get("finished_at") or row.get("created_at")
    return {
        "at": at.isoformat() if isinstance(at, datetime) else at,
        "tool": row["tool"],
        "agent": row["agent"],
        "onBehalfOf": row.get("on_behalf_of"),
        "idempotencyKey": row["key"],
    }


class WriteLog(Protocol):
    """The rows of the local database's agent write log (``services.agent_writes``)."""

    def insert(self, row: dict[str, Any]) -> dict[str, Any] | None: ...
    def update(self, key: str, values: dict[str, Any]) -> None: ...
    def delete_if(self, key: str, status: str) -> None: ...
    def for_record(self, entity: str, record_id: int) -> list[dict[str, Any]]: ...


class DatabaseKeys:
    """Keys in the local database's write log."""

    def __init__(self, log: WriteLog) -> None:
        self.log = log

    def begin(self, key: str, tool: str, digest: str, who: tuple[str, str | None]) -> Any:
        row = {
            "key": key,
            "tool": tool,
            "request_hash": digest,
            "status": PENDING,
            "agent": who[0][:100],
            "on_behalf_of": (who[1] or None) and str(who[1])[:200],
            "created_at": now(),
        }
        existing = self.log.insert(row)
        return None if existing is None else replay_or_refuse(key, existing, digest)

    def finish(self, key: str, result: dict[str, Any], entity: str | None, record_id: Any) -> None:
        values = {"status": DONE, "result": result, "finished_at": now(), "entity": entity}
        values["record_id"] = record_id if isinstance(record_id, int) else None
        self.log.update(key, values)

    def release(self, key: str) -> None:
        self.log.delete_if(key, PENDING)

    def writes_for(self, entity: str, record_id: int) -> list[dict[str, Any]]:
        return [_public(row) for row in self.log.for_record(entity, record_id)]


class FileKeys:
    """Keys in a JSON file (remote targets), rewritten under an exclusive lock."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @contextmanager
    def _locked(self) -> Iterator[dict[str, Any]]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with FileLock(f"{self.path}.lock", mode=0o600):  # portable: Windows too
            rows = orjson.loads(self.path.read_bytes()) if self.path.exists() else {}
            yield rows
            self.path.write_bytes(orjson.dumps(rows))
            os.chmod(self.path, 0o600)

    def begin(self, key: str, tool: str, digest: str, who: tuple[str, str | None]) -> Any:
        with self._locked() as rows:
            if key in rows:
                return replay_or_refuse(key, rows[key], digest)
            rows[key] = {
                "key": key,
                "tool": tool,
                "request_hash": digest,
                "status": PENDING,
                "agent": who[0],
                "on_behalf_of": who[1],
                "created_at": now().isoformat(),
            }
        return None

    def finish(self, key: str, result: dict[str, Any], entity: str | None, record_id: Any) -> None:
        with self._locked() as rows:
            row = rows[key]
            row.update(status=DONE, result=result, entity=entity, record_id=record_id)
            row["finished_at"] = now().isoformat()

    def release(self, key: str) -> None:
        with self._locked() as rows:
            if rows.get(key, {}).get("status") == PENDING:
                del rows[key]

    def writes_for(self, entity: str, record_id: int) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        rows = orjson.loads(self.path.read_bytes())
        return [
            _public(row)
            for row in rows.values()
            if row.get("entity") == entity and row.get("record_id") == record_id
        ]
