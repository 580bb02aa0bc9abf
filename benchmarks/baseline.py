"""The baseline: bare Starlette + sqlite3 + orjson over the same database file.

It answers what the server answers, with nothing in between: ``GET /item/{id}`` (one
company, the same columns under the same wire names), ``GET /page/{name}?after=N``
(500 rows of a named, already compiled SQL statement) and ``POST /write`` (one
durable insert into a scratch table, ``synchronous=FULL`` like the server).

Run: ``python -m benchmarks.baseline --database FILE --port N --queries FILE``.
"""

from __future__ import annotations

import argparse
import sqlite3
from pathlib import Path
from typing import Any

import orjson
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

JSON = "application/json; charset=utf-8"
PAGE = 500


def _lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def connect(path: str) -> sqlite3.Connection:
    """The server's connection settings: WAL, FULL sync, the same Unicode ``lower()``."""
    conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
    for pragma in ("journal_mode=WAL", "synchronous=FULL", "busy_timeout=30000"):
        conn.execute(f"PRAGMA {pragma}")
    conn.create_function("lower", 1, _lower, deterministic=True)
    return conn


def build_app(database: str, queries: dict[str, Any]) -> Starlette:
    conn = connect(database)
    conn.execute(
        "CREATE TABLE IF NOT EXISTS bench_baseline_writes (id INTEGER PRIMARY KEY, v TEXT)"
    )
    names = queries["columns"]
    item_sql = f"SELECT {', '.join(queries['column_sql'])} FROM companies WHERE id = ?"

    async def item(request: Request) -> Response:
        row = conn.execute(item_sql, (int(request.path_params["id"]),)).fetchone()
        if row is None:
            return Response(orjson.dumps({"errors": ["not found"]}), 404, media_type=JSON)
        return Response(orjson.dumps({"item": dict(zip(names, row, strict=True))}), media_type=JSON)

    async def page(request: Request) -> Response:
        spec = queries["pages"][request.path_params["name"]]
        after = int(request.query_params.get("after", "-1"))
        params = list(spec["params"])
        params[spec["after_index"]] = after
        rows = conn.execute(spec["sql"], params).fetchall()
        items = [dict(zip(spec["columns"], row, strict=True)) for row in rows[:PAGE]]
        body = {"items": items, "pageDetails": {"count": len(items), "requestCount": PAGE}}
        return Response(orjson.dumps(body), media_type=JSON)

    async def write(request: Request) -> Response:
        body = await request.body()
        cursor = conn.execute("INSERT INTO bench_baseline_writes (v) VALUES (?)", (body.decode(),))
        return Response(orjson.dumps({"itemId": cursor.lastrowid}), media_type=JSON)

    return Starlette(
        routes=[
            Route("/item/{id:int}", item, methods=["GET"]),
            Route("/page/{name}", page, methods=["GET"]),
            Route("/write", write, methods=["POST"]),
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--queries", required=True)
    args = parser.parse_args()
    queries = orjson.loads(Path(args.queries).read_bytes())
    app = build_app(args.database, queries)
    # the fastest stack a user could pick, never the server's own defaults (issue 17)
    uvicorn.run(
        app, host="127.0.0.1", port=args.port, log_level="warning", loop="uvloop", http="httptools"
    )


if __name__ == "__main__":
    main()
