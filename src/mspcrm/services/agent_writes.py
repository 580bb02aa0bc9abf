"""The agent interface's write log in the local database (``agent_writes``): one row per
idempotency key, with who asked (the agent and its human) and what it wrote.

Only the rows live here; what a repeated key means (replay or refusal) is the agent
interface's rule (``mcp/keys.py``), which reaches this through the local target.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from mspcrm.store.database import Database
from mspcrm.store.schema import agent_writes


class AgentWriteLog:
    def __init__(self, db: Database) -> None:
        self.engine = db.engine

    def insert(self, row: dict[str, Any]) -> dict[str, Any] | None:
        """Add the row for a new key; or, when the key is taken, the row already there."""
        try:
            with self.engine.begin() as conn:
                conn.execute(sa.insert(agent_writes).values(**row))
            return None
        except IntegrityError:
            with self.engine.connect() as conn:
                found = conn.execute(
                    sa.select(agent_writes).where(agent_writes.c.key == row["key"])
                )
                return dict(found.mappings().one())

    def update(self, key: str, values: dict[str, Any]) -> None:
        with self.engine.begin() as conn:
            conn.execute(sa.update(agent_writes).where(agent_writes.c.key == key).values(values))

    def delete_if(self, key: str, status: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                sa.delete(agent_writes).where(
                    agent_writes.c.key == key, agent_writes.c.status == status
                )
            )

    def for_record(self, entity: str, record_id: int) -> list[dict[str, Any]]:
        query = (
            sa.select(agent_writes)
            .where(agent_writes.c.entity == entity, agent_writes.c.record_id == record_id)
            .order_by(agent_writes.c.created_at)
        )
        with self.engine.connect() as conn:
            return [dict(row) for row in conn.execute(query).mappings()]
