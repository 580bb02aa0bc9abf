"""The parts of an import run: the CSV reader, the rejects file, batches.

Plain creates of companies, contacts and opportunities are written set-wise
(``import_bulk``); every other row through ``RecordService.create_in`` /
``update_in`` inside a savepoint, so a bad row is rejected alone and the rest
of its batch commits.
"""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from mspcrm.domain.entity import Entity
from mspcrm.domain.import_columns import IMPORT_BATCH
from mspcrm.domain.picklists import PicklistValue
from mspcrm.domain.udfs import UdfDefinition
from mspcrm.errors import MspcrmError, ValidationError
from mspcrm.services.context import Actor
from mspcrm.services.import_bulk import BulkImport, bulk_rules
from mspcrm.services.import_rows import (
    CREATE,
    ERROR,
    SKIPPED,
    STATUS_COUNT,
    UNCHANGED,
    UPDATE,
    RowMapper,
    RowResult,
    cell_problem,
    plan_columns,
    utf8_problem,
    write_body,
)
from mspcrm.services.records import RecordService
from mspcrm.store import bulk, import_jobs
from mspcrm.store.import_jobs import ImportJob

DEFAULT_BATCH = IMPORT_BATCH
# Between two batches an import waits while other write transactions of this process wait
# for the database (SQLite has one writer; its busy handler polls up to every 100 ms, so
# without this the import's next batch would take the lock first, batch after batch), at
# most this long per batch (a steady stream of writers still lets the import go on).
GIVE_WAY_SECONDS = 1.0
GIVE_WAY_POLL = 0.005


@dataclass
class ImportOptions:
    dry_run: bool = False
    update_existing: bool = True
    batch_size: int = DEFAULT_BATCH
    resume_job: int | None = None
    file_name: str = ""
    bulk: bool = True  # plain creates written set-wise (False: every row through the write path)


@dataclass
class ImportResult:
    entity: str
    dry_run: bool
    job_id: int | None
    resumed_from: int  # the last row already in the database when this run started
    last_row: int
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STATUS_COUNT.values(), 0))
    seconds: float = 0.0

    @property
    def rows(self) -> int:
        return sum(self.counts.values())

    def to_wire(self) -> dict[str, Any]:
        return {
            "entity": self.entity,
            "dryRun": self.dry_run,
            "jobID": self.job_id,
            "resumedFrom": self.resumed_from,
            "lastRow": self.last_row,
            "counts": dict(self.counts),
            "seconds": round(self.seconds, 3),
        }


@dataclass
class Progress:
    rows: int  # rows handled in this run
    bytes_read: int
    counts: dict[str, int]


RowCallback = Callable[[RowResult], None]
ProgressCallback = Callable[[Progress], None]


class _CountingReader(io.RawIOBase):
    """A binary stream that counts the bytes read through it (for the progress bar)."""

    def __init__(self, inner: IO[bytes]) -> None:
        self.inner = inner
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.inner.read(len(buffer))
        buffer[: len(data)] = data
        self.count += len(data)
        return len(data)


def _records(stream: IO[bytes]) -> tuple[_CountingReader, Iterator[list[str]]]:
    """CSV records from a UTF-8 stream (BOM or not); undecodable bytes kept as surrogates."""
    counter = _CountingReader(stream)
    text = io.TextIOWrapper(
        io.BufferedReader(counter, 1 << 16),
        encoding="utf-8-sig",
        errors="surrogateescape",
        newline="",
    )
    return counter, csv.reader(text)


class RejectsWriter:
    """The rejected rows as they were, plus an ``error`` column; bytes kept as read."""

    def __init__(self, path: Path, header: list[str], *, append: bool) -> None:
        exists = append and path.exists() and path.stat().st_size > 0
        self.file = path.open(
            "a" if exists else "w", encoding="utf-8", errors="surrogateescape", newline=""
        )
        self.writer = csv.writer(self.file)
        if not exists:
            self.writer.writerow([*header, "error"])

    def write(self, cells: list[str], result: RowResult) -> None:
        self.writer.writerow([*cells, f"row {result.row}: " + "; ".join(result.errors)])

    def close(self) -> None:
        self.file.close()


class CachedRecords(RecordService):
    """The one write path, with the catalog (picklists, UDF definitions) read once per import
    instead of once per row: an import does not change them."""

    def __init__(self, base: RecordService) -> None:
        super().__init__(
            base.db, base.registry, strict=base.strict, duplicate_checks=base.duplicate_checks
        )
        self._udfs: dict[str, list[UdfDefinition]] = {}
        self._picklists: dict[str, dict[str, list[PicklistValue]]] = {}

    def udf_definitions(self, conn: Connection, entity: Entity) -> list[UdfDefinition]:
        if entity.name not in self._udfs:
            self._udfs[entity.name] = super().udf_definitions(conn, entity)
        return self._udfs[entity.name]

    def picklists(self, conn: Connection, entity: Entity) -> dict[str, list[PicklistValue]]:
        if entity.name not in self._picklists:
            self._picklists[entity.name] = super().picklists(conn, entity)
        return self._picklists[entity.name]


Batch = list[tuple[int, list[str]]]


class ImportRun:
    """One pass over a file: header, then batches of rows, each batch one transaction."""

    def __init__(
        self,
        records: RecordService,
        entity: Entity,
        actor: Actor,
        options: ImportOptions,
        job: ImportJob | None,
        callbacks: tuple[RowCallback | None, ProgressCallback | None],
    ) -> None:
        self.records = CachedRecords(records)
        self.db = records.db
        self.entity = entity
        self.actor = actor
        self.options = options
        self.job = job
        self.on_row, self.on_progress = callbacks
        skip = job.last_row if job else 0
        job_id = job.id if job else None
        self.result = ImportResult(entity.name, options.dry_run, job_id, skip, skip)
        self.rejects: RejectsWriter | None = None
        self.bulk: BulkImport | None = None
        self.width = 0
        self.handled = 0

    def execute(self, stream: IO[bytes], rejects: Path | None) -> None:
        counter, records = _records(stream)
        try:
            header = next(records, None)
        except csv.Error as exc:
            raise unreadable(1, exc) from None
        if not header or not any(h.strip() for h in header):
            raise ValidationError("The file is empty: the first row must name the columns")
        problem = utf8_problem(header)
        if problem:
            raise ValidationError(f"The header row is {problem}")
        mapper = self._mapper(header)
        self.width = len(header)
        self.bulk = self._bulk(mapper)
        if rejects is not None:
            self.rejects = RejectsWriter(rejects, header, append=self.result.resumed_from > 0)
        try:
            batches = _batches(records, self.result.resumed_from, self.options.batch_size)
            if self.options.dry_run:
                self._dry_run(batches, mapper, counter)
            else:
                for batch in batches:
                    self._commit_batch(batch, mapper, counter)
                    self._give_way()
                self._finish()
        finally:
            if self.rejects is not None:
                self.rejects.close()

    def _mapper(self, header: list[str]) -> RowMapper:
        with self.db.read() as conn:
            udfs = self.records.udf_definitions(conn, self.entity)
            picklists = self.records.picklists(conn, self.entity)
        columns = plan_columns(self.entity, header, udfs)
        return RowMapper(
            self.records.registry,
            self.entity,
            columns,
            picklists,
            udfs,
            strict=self.records.strict,
        )

    def _bulk(self, mapper: RowMapper) -> BulkImport | None:
        rules = bulk_rules(self.entity) if self.options.bulk else None
        if rules is None:
            return None
        found = BulkImport(
            self.records,
            self.entity,
            rules,
            self.actor,
            mapper,
            update_existing=self.options.update_existing,
            width=self.width,
        )
        with self.db.read() as conn:
            found.prepare(conn)
        return found

    def _dry_run(self, batches: Iterator[Batch], mapper: RowMapper, counter: Any) -> None:
        with self.db.write() as conn:
            everything = conn.begin_nested()
            for batch in batches:
                self._report(batch, self._rows(conn, batch, mapper), counter)
            everything.rollback()

    def _commit_batch(self, batch: Batch, mapper: RowMapper, counter: Any) -> None:
        assert self.job is not None
        with bulk.batch_write(self.db) as conn:
            results = self._rows(conn, batch, mapper)
            added: dict[str, int] = {}
            for result in results:
                name = STATUS_COUNT[result.status]
                added[name] = added.get(name, 0) + 1
            import_jobs.advance(conn, self.job.id, batch[-1][0], added)
        self._report(batch, results, counter)

    def _give_way(self) -> None:
        """Let the write transactions waiting for the database go before the next batch."""
        deadline = time.monotonic() + GIVE_WAY_SECONDS
        while self.db.writers_waiting and time.monotonic() < deadline:
            time.sleep(GIVE_WAY_POLL)

    def _finish(self) -> None:
        assert self.job is not None
        with self.db.write() as conn:
            import_jobs.finish(conn, self.job.id)

    def _rows(self, conn: Connection, batch: Batch, mapper: RowMapper) -> list[RowResult]:
        if self.bulk is not None:
            return self.bulk.rows(conn, batch, lambda n, c: self._row(conn, n, c, mapper))
        return [self._row(conn, number, cells, mapper) for number, cells in batch]

    def _report(self, batch: Batch, results: list[RowResult], counter: Any) -> None:
        """After a batch is done (committed, unless a dry run): rejects, callbacks, counts."""
        for (_, cells), result in zip(batch, results, strict=True):
            self.result.counts[STATUS_COUNT[result.status]] += 1
            if result.status == ERROR and self.rejects is not None:
                self.rejects.write(cells, result)
            if self.on_row is not None:
                self.on_row(result)
        self.handled += len(batch)
        self.result.last_row = batch[-1][0]
        if self.on_progress is not None:
            self.on_progress(Progress(self.handled, counter.count, dict(self.result.counts)))

    def _row(self, conn: Connection, number: int, cells: list[str], mapper: RowMapper) -> RowResult:
        rejected = cell_problem(number, cells, self.width)
        if rejected is not None:
            return rejected
        try:
            return self._write(conn, number, cells, mapper)
        except MspcrmError as exc:
            return RowResult(number, ERROR, errors=tuple(exc.errors))
        except sa.exc.IntegrityError as exc:
            return RowResult(number, ERROR, errors=(f"refused by the database: {exc.orig}",))

    def _write(
        self, conn: Connection, number: int, cells: list[str], mapper: RowMapper
    ) -> RowResult:
        read = mapper.read(conn, cells)
        row = mapper.match(conn, read)
        if row.existing_id is None:
            with conn.begin_nested():
                new_id = self.records.create_in(
                    conn, self.entity, write_body(read.values, read.udfs), self.actor
                )
            return RowResult(number, CREATE, new_id, row.key)
        if not self.options.update_existing:
            return RowResult(number, SKIPPED, row.existing_id, row.key)
        changed = (*sorted(row.changes), *(f"UDF {k}" for k in sorted(row.udf_changes)))
        if not changed:
            return RowResult(number, UNCHANGED, row.existing_id, row.key)
        with conn.begin_nested():
            self.records.update_in(
                conn,
                self.entity,
                write_body(row.changes, row.udf_changes),
                self.actor,
                record_id=row.existing_id,
            )
        return RowResult(number, UPDATE, row.existing_id, row.key, changes=changed)


def _batches(records: Iterator[list[str]], skip: int, size: int) -> Iterator[Batch]:
    """Numbered records (the header is row 1) after row ``skip``, ``size`` at a time;
    blank lines are numbered but not imported."""
    batch: Batch = []
    number = 1
    try:
        for number, cells in enumerate(records, start=2):
            if number <= skip or not cells or (len(cells) == 1 and not cells[0].strip()):
                continue
            batch.append((number, cells))
            if len(batch) >= size:
                yield batch
                batch = []
    except csv.Error as exc:
        raise unreadable(number + 1, exc) from None
    if batch:
        yield batch


def unreadable(row: int, exc: csv.Error) -> ValidationError:
    """A CSV the reader gives up on (a field over the limit, a NUL byte) as a 400 naming
    the row, what went wrong and the limit; the rows before it are reported as usual."""
    return ValidationError(
        f"Row {row}: the file cannot be read as CSV ({exc}; a field may hold at most "
        f"{csv.field_size_limit()} characters); rows after it were not imported"
    )


__all__ = [
    "CREATE",
    "DEFAULT_BATCH",
    "ERROR",
    "SKIPPED",
    "STATUS_COUNT",
    "UNCHANGED",
    "UPDATE",
    "ImportOptions",
    "ImportResult",
    "ImportRun",
    "Progress",
    "ProgressCallback",
    "RowCallback",
    "RowResult",
]
