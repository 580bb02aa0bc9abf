"""Profile the server under one workload with py-spy: ``python -m benchmarks.profile get``.

Starts ``mspcrm serve`` on a scratch copy of the S data set under ``py-spy record``
(raw collapsed stacks), drives the workload, and prints the frames with the largest
inclusive share of samples. Needs ``pip install py-spy`` in the venv.
"""

from __future__ import annotations

import argparse
import collections
import subprocess
import sys
import time
from pathlib import Path

import orjson

from benchmarks import queries
from benchmarks.generate import sqlite_dataset
from benchmarks.load import run_load
from benchmarks.run import RESULTS, scratch_copy
from benchmarks.servers import LIMIT_ENV, MSPCRM, Server
from benchmarks.sizes import size_named

AT = "/ATServicesRest/V1.0"


def _workload(name: str, docs: dict[str, object]) -> tuple[int, object]:
    if name == "get":
        return 1, lambda n: ("GET", f"{AT}/Companies/{1 + n % 5000}", None)
    if name == "get32":
        return 32, lambda n: ("GET", f"{AT}/Companies/{1 + n % 5000}", None)
    if name == "write":
        return 4, lambda n: (
            "POST",
            f"{AT}/Companies",
            orjson.dumps({"companyName": f"Profiled {time.time_ns()}", "companyType": 1}),
        )
    if name == "check":
        body = orjson.dumps({"companyName": "Kobarito Lema Dental", "phone": "(512) 555-0101"})
        return 1, lambda n: ("POST", "/api/v1/Companies/duplicates/check", body)
    body = orjson.dumps(docs[name])
    return 1, lambda n: ("POST", f"{AT}/Companies/query", body)


def top_frames(raw: Path, limit: int) -> list[tuple[int, str]]:
    inclusive: collections.Counter[str] = collections.Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        n = int(count)
        total += n
        for frame in set(stack.split(";")):
            inclusive[frame] += n
    return [(round(100 * n / total), f) for f, n in inclusive.most_common(limit)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("workload", help="get, get32, write, check, or a page name (eq, ...)")
    parser.add_argument("--database", help="a SQLite file or PostgreSQL URL (default: S copy)")
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--top", type=int, default=45)
    args = parser.parse_args()
    data = scratch_copy(sqlite_dataset(size_named("S"), 1, print))
    url = args.database or data.url
    docs: dict[str, object] = dict(queries.documents(data, 1))
    connections, make = _workload(args.workload, docs)
    RESULTS.mkdir(parents=True, exist_ok=True)
    raw = RESULTS / f"profile-{args.workload}.txt"
    server = Server("mspcrm", [str(MSPCRM), "serve", "--database", url], env=LIMIT_ENV).start()
    assert server.process is not None
    spy = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "py-spy"),
            "record",
            "--pid",
            str(server.process.pid),
            "--format",
            "raw",
            "--output",
            str(raw),
            "--rate",
            "250",
            "--nonblocking",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(1.0)
    result = run_load(
        server.port,
        make,
        headers=data.headers(),
        connections=connections,  # type: ignore[arg-type]
        max_requests=args.requests,
        max_seconds=30,
    )
    spy.send_signal(2)
    spy.wait(timeout=30)
    server.stop()
    print(result.summary())
    for share, frame in top_frames(raw, args.top):
        print(f"{share:4d}%  {frame[:150]}")


if __name__ == "__main__":
    main()
