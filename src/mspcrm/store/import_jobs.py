"""The import job table: one row per import run, so an interrupted import resumes exactly.

The job's ``last_row`` and counts are written in the same transaction as the
batch of records they describe: after a crash the job says precisely which
rows are in the database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from mspcrm.domain.fields import utc_now
from mspcrm.store.schema import import_jobs as ij

RUNNING, DONE = "running", "done"
COUNTS = ("created", "updated", "unchanged", "skipped", "errors")


@dataclass
class ImportJob:
    id: int
    entity: str
    fingerprint: str
    file_name: str
    update_existing: bool
    status: str
    last_row: int
    counts: dict[str, int]
    started_at: datetime
    finished_at: datetime | None

    def to_wire(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "entity": self.entity,
            "fingerprint": self.fingerprint,
            "fileName": self.file_name,
            "updateExisting": self.update_existing,
            "status": self.status,
            "lastRow": self.last_row,
            "counts": dict(self.counts),
        }


def _job(row: Any) -> ImportJob:
    return ImportJob(
        id=int(row.id),
        entity=row.entity,
        fingerprint=row.fingerprint,
        file_name=row.file_name,
        update_existing=bool(row.update_existing),
        status=row.status,
        last_row=int(row.last_row),
        counts={name: int(getattr(row, name)) for name in COUNTS},
        started_at=row.started_at,
        finished_at=row.finished_at,
    )


def start(
    conn: Connection,
    *,
    entity: str,
    fingerprint: str,
    file_name: str,
    update_existing: bool,
    resource_id: int | None,
) -> ImportJob:
    now = utc_now()
    values: dict[str, Any] = {
        "entity": entity,
        "fingerprint": fingerprint,
        "file_name": file_name[-500:],
        "update_existing": update_existing,
        "status": RUNNING,
        "last_row": 0,
        "started_at": now,
        "updated_at": now,
        "resource_id": resource_id,
    } | dict.fromkeys(COUNTS, 0)
    job_id = conn.execute(sa.insert(ij).values(values).returning(ij.c.id)).scalar_one()
    found = get(conn, int(job_id))
    assert found is not None
    return found


def get(conn: Connection, job_id: int) -> ImportJob | None:
    row = conn.execute(sa.select(ij).where(ij.c.id == job_id)).first()
    return None if row is None else _job(row)


def unfinished(conn: Connection, entity: str, fingerprint: str) -> ImportJob | None:
    """The newest unfinished job of the same file for the same entity, if any."""
    statement = (
        sa.select(ij)
        .where(ij.c.entity == entity, ij.c.fingerprint == fingerprint, ij.c.status == RUNNING)
        .order_by(ij.c.id.desc())
        .limit(1)
    )
    row = conn.execute(statement).first()
    return None if row is None else _job(row)


def advance(conn: Connection, job_id: int, last_row: int, added: dict[str, int]) -> None:
    """Record a committed batch: call inside the batch's transaction."""
    values: dict[str, Any] = {"last_row": last_row, "updated_at": utc_now()}
    for name in COUNTS:
        if added.get(name):
            values[name] = ij.c[name] + added[name]
    conn.execute(sa.update(ij).where(ij.c.id == job_id).values(values))


def finish(conn: Connection, job_id: int) -> None:
    now = utc_now()
    conn.execute(
        sa.update(ij).where(ij.c.id == job_id).values(status=DONE, finished_at=now, updated_at=now)
    )


def recent(conn: Connection, limit: int = 20) -> list[ImportJob]:
    rows = conn.execute(sa.select(ij).order_by(ij.c.id.desc()).limit(limit))
    return [_job(row) for row in rows]
