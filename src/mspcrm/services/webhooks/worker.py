"""The delivery worker: a thread beside the server's requests (or alone, ``mspcrm webhooks
deliver``) that numbers what was queued and delivers each due webhook's callouts.

Writes never wait for it: they only queue rows. A transaction that queued callouts wakes
it once its connection is back in the pool (committed; a pool ``checkin`` listener);
otherwise it looks every ``poll_seconds``
(other processes' writes, retries that came due). Webhooks are delivered side by side
on a few threads, each webhook by one of them at a time.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from sqlalchemy import event

from mspcrm.services.records import RecordService
from mspcrm.services.webhooks.delivery import RetryPolicy, WebhookDeliverer, number_pending
from mspcrm.services.webhooks.destinations import DestinationPolicy
from mspcrm.services.webhooks.outbox import PENDING_KEY
from mspcrm.services.webhooks.sender import Sender
from mspcrm.store import webhooks as store
from mspcrm.store.database import Database

log = logging.getLogger("mspcrm.webhooks")
QUICK_LOOKS = (0.02, 0.05, 0.1, 0.2)  # after a wake-up: the commit may still be in flight


class DeliveryWorker:
    def __init__(
        self,
        db: Database,
        records: RecordService,
        policy: DestinationPolicy,
        retry: RetryPolicy,
        *,
        threads: int = 4,
        poll_seconds: float = 1.0,
    ) -> None:
        self.db = db
        self.poll_seconds = poll_seconds
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.sender = Sender(policy)
        self._books = _bookkeeping(db)
        self.deliverer = WebhookDeliverer(db, records, self.sender, self.owner, retry, self._books)
        self._pool = ThreadPoolExecutor(threads, thread_name_prefix="webhook-delivery")
        self._busy: dict[tuple[str, int], Future[int]] = {}
        self._busy_lock = threading.Lock()  # the loop thread and drain() both start work
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        event.listen(db.engine, "checkin", self._on_checkin)

    # ---- running ----------------------------------------------------------------------------
    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="webhook-worker", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        self._pool.shutdown(wait=True, cancel_futures=True)
        event.remove(self.db.engine, "checkin", self._on_checkin)
        self.sender.close()
        if self._books is not self.db:
            self._books.dispose()

    def wake(self) -> None:
        self._wake.set()

    def _on_checkin(self, _dbapi_connection: Any, record: Any) -> None:
        if record is not None and record.info.pop(PENDING_KEY, False):
            self._wake.set()

    def _loop(self) -> None:
        while not self._stop.is_set():
            woken = self._wake.wait(self.poll_seconds)
            self._wake.clear()
            try:
                found = self.run_once(wait=False)
                for pause in QUICK_LOOKS if woken and not found else ():
                    if self._stop.wait(pause) or self.run_once(wait=False):
                        break
            except Exception:  # keep delivering: a database hiccup must not end the worker
                log.exception("webhook delivery round failed")
                self._stop.wait(self.poll_seconds)

    # ---- one round ----------------------------------------------------------------------------
    def run_once(self, *, wait: bool = True) -> int:
        """Number what is queued and start delivering every due webhook; with ``wait``, wait
        for the deliveries and return how many callouts were delivered (else how many
        numbered rows and started webhooks there were)."""
        numbered = number_pending(self._books)
        with self.db.read() as conn:
            due = store.due_webhooks(conn, time.time())
        started = [self._start(key) for key in due]
        if not wait:
            return numbered + sum(1 for s in started if s is not None)
        return sum(f.result() for f in started if f is not None)

    def _start(self, key: tuple[str, int]) -> Future[int] | None:
        """Deliver ``key``'s callouts on the pool, unless this worker already is (one
        deliverer per webhook: the lease keeps other processes out, this keeps ours)."""
        with self._busy_lock:
            running = self._busy.get(key)
            if running is not None and not running.done():
                return None
            future = self._pool.submit(self.deliverer.run, *key)
            self._busy[key] = future
        future.add_done_callback(self._after_delivery)
        return future

    def _after_delivery(self, future: Future[int]) -> None:
        if not future.cancelled() and future.exception() is None and future.result():
            self._wake.set()  # more may have been queued meanwhile

    def drain(self, timeout: float = 30.0) -> int:
        """Deliver until nothing is due (tests, ``mspcrm webhooks deliver --once``)."""
        delivered, deadline = 0, time.monotonic() + timeout
        while time.monotonic() < deadline:
            done = self.run_once(wait=True)
            delivered += done
            if done == 0:
                if not self._anything_due():
                    break
                time.sleep(0.02)  # in flight on the loop's thread, or waiting for a retry
        return delivered

    def _anything_due(self) -> bool:
        with self.db.read() as conn:
            waiting = store.unsequenced_deliveries(conn, 1)
            return bool(waiting) or bool(store.due_webhooks(conn, time.time(), limit=1))


def _bookkeeping(db: Database) -> Database:
    """Where numbering, delivery marks, leases and error logs are written: on SQLite a
    connection that does not wait for the disk. A power cut may forget that a callout was
    delivered: it is sent again with its sequence number (what receivers deduplicate by).
    It may forget a numbering only together with every later commit (the WAL is written in
    order and any durable commit syncs what precedes it), so the same rows get the same
    numbers and bodies again. The outbox rows themselves are written with the change."""
    if db.dialect != "sqlite":
        return db
    return Database(db.url, sqlite_sync="NORMAL")
