"""Duplicate checks in the CLI: the shared client-side check, printed for people."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mspcrm.cli.common import console, print_table
from mspcrm.domain.entity import Entity

if TYPE_CHECKING:
    from mspcrm.targets import Target


def check_before_create(target: Target, entity: Entity, body: dict[str, Any]) -> dict[str, Any]:
    from mspcrm.duplicate_lookup import check_record

    return check_record(target.client, entity, body)


def print_check(check: dict[str, Any]) -> None:
    console.print(f"Verdict: [bold]{check['verdict']}[/bold]")
    rows = [
        {
            "id": m["id"],
            "name": m.get("name", ""),
            "score": m["score"],
            "verdict": m["verdict"],
            "evidence": "; ".join(
                f"{e['signal']} ({e['detail']})" if e.get("detail") else e["signal"]
                for e in m["evidence"]
            ),
        }
        for m in check["matches"]
    ]
    if rows:
        print_table(rows, ["id", "name", "score", "verdict", "evidence"], title="Candidates")
