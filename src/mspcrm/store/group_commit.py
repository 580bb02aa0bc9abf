"""Group commit: concurrent single-record writes share one transaction and one fsync.

SQLite runs one write transaction at a time, and with ``synchronous=FULL`` every COMMIT
waits for the disk. Writers that arrive while a commit is in flight queue here; the next
one to run takes the whole queue (up to ``MAX_BATCH``) into one transaction, each write in
its own SAVEPOINT (a write that fails is rolled back alone and its caller gets its error),
then commits once. Every caller is answered only after that COMMIT returned, so an
acknowledged write is as durable as before; what the batch shares is the wait for the
disk. The writers run in arrival order, each seeing the ones before it (a duplicate-name
check sees the company created just before it in the same batch).

There is no extra thread: the first writer to find nobody leading leads one batch, then
hands the lead to the oldest waiting writer, so no caller serves others for long.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from sqlalchemy.engine import Connection

from mspcrm.store.database import Database

T = TypeVar("T")
MAX_BATCH = 256


class _Job(Generic[T]):
    __slots__ = ("error", "finished", "lead", "result", "wake", "work")

    def __init__(self, work: Callable[[Connection], T]) -> None:
        self.work = work
        self.result: T | None = None
        self.error: BaseException | None = None
        self.finished = False
        self.lead = False
        self.wake = threading.Event()


class GroupCommit:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._lock = threading.Lock()
        self._queue: list[_Job[Any]] = []
        self._leading = False
        self.batches = 0  # commits made, for tests and measurements
        self.writes = 0

    def run(self, work: Callable[[Connection], T]) -> T:
        """Run ``work`` in a write transaction shared with concurrent writers; its result
        once committed, or its own error (nothing of it written)."""
        job: _Job[T] = _Job(work)
        with self._lock:
            self._queue.append(job)
            if not self._leading:
                self._leading = job.lead = True
        while not job.finished:
            if job.lead:
                job.lead = False
                self._lead_once()
            else:
                job.wake.wait()
                job.wake.clear()
        if job.error is not None:
            raise job.error
        return job.result  # type: ignore[return-value]

    def _lead_once(self) -> None:
        with self._lock:
            batch, self._queue = self._queue[:MAX_BATCH], self._queue[MAX_BATCH:]
        try:
            self._commit(batch)
        finally:
            for job in batch:
                job.finished = True
                job.wake.set()
            with self._lock:
                if self._queue:
                    self._queue[0].lead = True
                    self._queue[0].wake.set()
                else:
                    self._leading = False

    def _commit(self, batch: list[_Job[Any]]) -> None:
        self.batches += 1
        self.writes += len(batch)
        if len(batch) == 1:  # alone: no savepoint needed
            job = batch[0]
            try:
                with self.db.write() as conn:
                    job.result = job.work(conn)
            except BaseException as exc:
                job.error = exc
            return
        try:
            with self.db.write() as conn:
                for job in batch:
                    try:
                        with conn.begin_nested():
                            job.result = job.work(conn)
                    except Exception as exc:  # this write only: rolled back to its savepoint
                        job.error = exc
        except BaseException as exc:  # the COMMIT (or the transaction) failed: nothing stands
            for job in batch:
                if job.error is None:
                    job.error, job.result = exc, None
