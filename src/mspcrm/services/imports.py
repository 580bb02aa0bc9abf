"""CSV import: streamed, checked row by row, committed in batches.

Plain creates are written set-wise with the write path's own checks and rules
(``import_bulk``); every other row goes through ``RecordService.create_in`` /
``update_in`` (every rule, history, duplicate keys), inside a savepoint so a bad
row is rejected alone. A batch of rows is one transaction, and the import job's progress is written
in that same transaction: a killed import resumes at exactly the first row
that is not in the database. A dry run does all of it in one transaction and
rolls it back, so its report is what the real run would do.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import replace
from pathlib import Path
from typing import IO

from mspcrm.domain.entity import Entity, Registry
from mspcrm.domain.import_columns import IMPORT_ENTITIES
from mspcrm.errors import NotFoundError, ValidationError
from mspcrm.services.context import Actor
from mspcrm.services.import_run import (
    ImportOptions,
    ImportResult,
    ImportRun,
    ProgressCallback,
    RowCallback,
)
from mspcrm.services.records import RecordService
from mspcrm.store import import_jobs
from mspcrm.store.database import Database
from mspcrm.store.import_jobs import ImportJob


def import_entity(registry: Registry, word: str) -> Entity:
    """``companies`` (or ``Company``, ``Companies``) -> the entity, if it can be imported."""
    name = IMPORT_ENTITIES.get(word.lower())
    if name is None:
        importable = {v.lower() for v in IMPORT_ENTITIES.values()}
        entity = registry.by_name(word)
        name = entity.name if entity.name.lower() in importable else None
    if name is None:
        words = ", ".join(IMPORT_ENTITIES)
        raise NotFoundError(f"{word!r} cannot be imported or exported: use one of {words}")
    return registry.by_name(name)


def fingerprint(stream: IO[bytes]) -> str:
    """SHA-256 of the whole file, read in chunks; the stream is left at its start."""
    digest = hashlib.sha256()
    stream.seek(0)
    for chunk in iter(lambda: stream.read(1 << 20), b""):
        digest.update(chunk)
    stream.seek(0)
    return digest.hexdigest()


class ImportService:
    def __init__(self, db: Database, registry: Registry, records: RecordService) -> None:
        self.db = db
        self.registry = registry
        self.records = records

    def job(self, job_id: int) -> ImportJob:
        with self.db.read() as conn:
            found = import_jobs.get(conn, job_id)
        if found is None:
            raise NotFoundError(f"Import job {job_id} not found")
        return found

    def jobs(self, limit: int = 20) -> list[ImportJob]:
        with self.db.read() as conn:
            return import_jobs.recent(conn, limit)

    def run(
        self,
        word: str,
        stream: IO[bytes],
        actor: Actor,
        options: ImportOptions,
        *,
        on_row: RowCallback | None = None,
        progress: ProgressCallback | None = None,
        rejects: Path | None = None,
    ) -> ImportResult:
        """Import a CSV stream (seekable: it is read once for its fingerprint, once to import)."""
        entity = import_entity(self.registry, word)
        if options.batch_size < 1:
            raise ValidationError("The batch size must be at least 1")
        started = time.perf_counter()
        callbacks = (on_row, progress)
        if options.dry_run:
            result = self._dry_run(entity, stream, actor, options, callbacks, rejects)
        else:
            job = self._job(entity, fingerprint(stream), options, actor)
            # a resumed job keeps the choice it started with
            options = replace(options, update_existing=job.update_existing)
            run = ImportRun(self.records, entity, actor, options, job, callbacks)
            run.execute(stream, rejects)
            result = run.result
        result.seconds = time.perf_counter() - started
        return result

    def _dry_run(
        self,
        entity: Entity,
        stream: IO[bytes],
        actor: Actor,
        options: ImportOptions,
        callbacks: tuple[RowCallback | None, ProgressCallback | None],
        rejects: Path | None,
    ) -> ImportResult:
        """Every row as the real run would do it, played on a snapshot (``Database.snapshot``)
        and thrown away: the live database is only read, nobody waits for the dry run."""
        with self.db.snapshot() as copy:
            records = self.records.on(copy)
            run = ImportRun(records, entity, actor, options, None, callbacks)
            run.execute(stream, rejects)
            return run.result

    def _job(self, entity: Entity, digest: str, options: ImportOptions, actor: Actor) -> ImportJob:
        with self.db.write() as conn:
            if options.resume_job is not None:
                job = import_jobs.get(conn, options.resume_job)
                _check_resumable(job, options.resume_job, entity, digest)
                assert job is not None
                return job
            found = import_jobs.unfinished(conn, entity.name, digest)
            if found is not None:
                return found
            return import_jobs.start(
                conn,
                entity=entity.name,
                fingerprint=digest,
                file_name=options.file_name,
                update_existing=options.update_existing,
                resource_id=actor.resource_id,
            )


def _check_resumable(job: ImportJob | None, job_id: int, entity: Entity, digest: str) -> None:
    if job is None:
        raise NotFoundError(f"Import job {job_id} not found")
    if job.entity != entity.name:
        raise ValidationError(f"Import job {job_id} imported {job.entity}, not {entity.name}")
    if job.fingerprint != digest:
        raise ValidationError(
            f"Import job {job_id} was for another file (its content differs): "
            "resume with the same file, or start a new import"
        )
    if job.status != import_jobs.RUNNING:
        raise ValidationError(f"Import job {job_id} has already finished")
