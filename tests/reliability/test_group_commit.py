"""Group commit (SQLite): concurrent writes share transactions, yet each write stands or
falls alone, sees the writes before it, and is answered only once committed."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy.engine import Connection

from mspcrm.domain.entities import COMPANY
from mspcrm.errors import ValidationError
from mspcrm.services.context import Actor
from mspcrm.services.crm import Services
from mspcrm.store import repository
from mspcrm.store.group_commit import GroupCommit
from tests.conftest import ApiCredentials


@pytest.fixture
def actor(api_user: ApiCredentials) -> Actor:
    return Actor(resource_id=api_user.resource_id, channel="api")


def _names(services: Services) -> set[str]:
    with services.db.read() as conn:
        rows = repository.find_ids(conn, COMPANY, {}, limit=10_000)
        return {r["companyName"] for r in repository.get_many(conn, COMPANY, rows)}


def test_concurrent_creates_share_commits_and_a_failing_one_fails_alone(
    services: Services, actor: Actor
) -> None:
    if services.db.dialect != "sqlite":
        pytest.skip("group commit is SQLite's (PostgreSQL commits concurrently)")
    names = [f"Grouped {i}" for i in range(120)] + ["Grouped 7", "Grouped 8"]  # two repeats

    def create(name: str) -> Any:
        try:
            return services.records.create(COMPANY, {"companyName": name, "companyType": 1}, actor)
        except ValidationError as exc:
            return exc

    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(create, names))
    refused = [r for r in results if isinstance(r, ValidationError)]
    assert len(refused) == 2, "the repeated names fail, each alone"
    assert all("already" in str(r).lower() or "duplicate" in str(r).lower() for r in refused)
    assert {f"Grouped {i}" for i in range(120)} <= _names(services)
    group = services.records._group
    assert group is not None and group.batches < group.writes, "some writes shared a commit"


def test_a_write_is_answered_only_after_its_commit(services: Services, actor: Actor) -> None:
    """A second connection sees a write as soon as its caller has the answer."""
    if services.db.dialect != "sqlite":
        pytest.skip("group commit is SQLite's")
    seen_late: list[int] = []

    def create(i: int) -> None:
        new_id = services.records.create(
            COMPANY, {"companyName": f"Visible {i}", "companyType": 1}, actor
        )
        with services.db.read() as conn:  # another pooled connection
            if repository.get(conn, COMPANY, new_id) is None:
                seen_late.append(new_id)

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(create, range(64)))
    assert seen_late == []


def test_writes_queued_behind_a_slow_one_share_the_next_batch_and_fail_alone(
    services: Services,
) -> None:
    """Writes that arrive while a commit is in flight run together in the next transaction,
    in order, each seeing the ones before it; one that fails is rolled back alone."""
    if services.db.dialect != "sqlite":
        pytest.skip("group commit is SQLite's")
    group = GroupCommit(services.db)
    started = threading.Event()

    def slow(conn: Connection) -> int:
        started.set()
        time.sleep(0.3)
        return 1

    def doomed(conn: Connection) -> int:
        conn.exec_driver_sql("CREATE TEMP TABLE group_commit_probe (x)")
        conn.exec_driver_sql("INSERT INTO group_commit_probe VALUES (1)")
        return 2

    with ThreadPoolExecutor(max_workers=4) as pool:
        first = pool.submit(group.run, slow)
        started.wait()
        queued = [pool.submit(group.run, doomed) for _ in range(3)]
        assert first.result() == 1
        outcomes = [f.exception() or f.result() for f in queued]
    # the three queued writes ran in one batch: the first made the table, the next two
    # failed alone (it already exists) and were rolled back to their savepoints
    assert outcomes.count(2) == 1
    assert sum(isinstance(o, Exception) for o in outcomes) == 2
    assert group.batches == 2
