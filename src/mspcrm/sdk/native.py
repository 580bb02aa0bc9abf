"""The mspcrm extension API (``/api/v1``): duplicate checks, merges, history.

Only mspcrm servers have it; against a real Autotask tenant these calls raise
``NotFoundError``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mspcrm.sdk.wire import API_SEGMENT, Call

if TYPE_CHECKING:
    from mspcrm.sdk.client import Client


class NativeClient:
    """``client.native``: the operations Autotask does not have."""

    def __init__(self, client: Client) -> None:
        self._client = client

    def _url(self, path: str) -> str:
        root = self._client.api_url
        at = root.lower().rfind(f"{API_SEGMENT.lower()}/")
        host = root[:at] if at >= 0 else root
        return f"{host}api/v1/{path}"

    def _post(self, path: str, body: Any) -> Any:
        return self._client.send(Call("POST", self._url(path), json=body))

    def _get(self, path: str) -> Any:
        return self._client.send(Call("GET", self._url(path)))

    def duplicates_check(self, entity: str, record: dict[str, Any], *, limit: int = 10) -> Any:
        """Scored, explained candidates for ``record``: {"verdict", "matches": [...]}."""
        return self._client.send(
            Call(
                "POST",
                self._url(f"{entity}/duplicates/check"),
                json=record,
                params={"limit": str(limit)},
            )
        )

    def duplicates_scan(self, entity: str, *, include_ambiguous: bool = False) -> Any:
        """Near-duplicate clusters over a whole entity."""
        return self._post(f"{entity}/duplicates/scan", {"includeAmbiguous": include_ambiguous})

    def merge_plan(self, entity: str, keep_id: int, other_id: int) -> Any:
        return self._post("merges/plan", {"entity": entity, "keepID": keep_id, "otherID": other_id})

    def merge(
        self,
        entity: str,
        keep_id: int,
        other_id: int,
        *,
        fingerprint: str | None = None,
        dry_run: bool = False,
    ) -> Any:
        body: dict[str, Any] = {"entity": entity, "keepID": keep_id, "otherID": other_id}
        if fingerprint:
            body["fingerprint"] = fingerprint
        if dry_run:
            body["dryRun"] = True
        return self._post("merges", body)

    def merge_get(self, merge_id: int) -> Any:
        return self._get(f"merges/{merge_id}")

    def merge_undo(self, merge_id: int) -> Any:
        return self._post(f"merges/{merge_id}/undo", {})

    def history(self, entity: str, record_id: int) -> Any:
        return self._get(f"{entity}/{record_id}/history")
