"""kill -9 of a real server while it delivers, again and again: every acknowledged change
is delivered, in order, duplicates only as the same callout with the same sequence number."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import httpx

from mspcrm.config import Settings
from mspcrm.services.crm import build_services
from tests.conftest import _wait_until_up, add_api_user, free_port
from tests.webhooks.conftest import ALLOW_LOCAL, make_webhook
from tests.webhooks.receiver import Receiver, verify

ROUNDS = 4
WRITES_PER_ROUND = 15


def _serve(db_url: str, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "MSPCRM_DATABASE_URL": db_url, "MSPCRM_WEBHOOK_ALLOW": ALLOW_LOCAL,
           "MSPCRM_WEBHOOK_LEASE_SECONDS": "1", "MSPCRM_WEBHOOK_RETRY_SECONDS": "0.1"}  # fmt: skip
    return subprocess.Popen(
        [sys.executable, "-m", "mspcrm.cli", "serve", "--port", str(port)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


def test_kill_9_during_delivery_loses_nothing(db_url: str, receiver: Receiver) -> None:
    setup = build_services(Settings(database_url=db_url, webhook_allow=ALLOW_LOCAL))
    headers = add_api_user(setup).headers
    make_webhook(setup, receiver)
    setup.close()
    receiver.delay = 0.05
    written = 0
    for _ in range(ROUNDS):
        port = free_port()
        server = _serve(db_url, port)
        url = f"http://127.0.0.1:{port}"
        try:
            _wait_until_up(url, server)
            for _ in range(WRITES_PER_ROUND):
                body = {"companyName": f"Crash {written}", "companyType": 1}
                answer = httpx.post(f"{url}/ATServicesRest/V1.0/Companies", json=body,
                                    headers=headers, timeout=10)  # fmt: skip
                assert answer.status_code == 200, answer.text
                written += 1
            time.sleep(0.1)  # delivering now
        finally:
            server.send_signal(signal.SIGKILL)
            server.wait(10)
    port = free_port()
    server = _serve(db_url, port)
    try:
        _wait_until_up(f"http://127.0.0.1:{port}", server)
        receiver.delay = 0
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if {c.body["SequenceNumber"] for c in receiver.received("/hook")} >= set(
                range(1, written + 1)
            ):
                break
            time.sleep(0.2)
    finally:
        server.send_signal(signal.SIGKILL)
        server.wait(10)
    calls = receiver.received("/hook")
    numbers = [c.body["SequenceNumber"] for c in calls]
    assert set(numbers) == set(range(1, written + 1)), "a callout was lost"
    names = {c.body["SequenceNumber"]: c.body["Fields"]["companyName"] for c in calls}
    assert [names[n] for n in range(1, written + 1)] == [f"Crash {i}" for i in range(written)]
    first_seen = list(dict.fromkeys(numbers))
    assert first_seen == sorted(first_seen), "out of order"
    by_number: dict[int, bytes] = {}
    for call in calls:
        assert by_number.setdefault(call.body["SequenceNumber"], call.raw) == call.raw
        assert verify(call.raw, call.headers["X-Hook-Signature"], "s3cret-key")
    print(f"{written} callouts, {len(calls) - written} duplicates after {ROUNDS} kills")
