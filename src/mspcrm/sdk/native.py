"""The mspcrm extension API (``/api/v1``): duplicate checks, merges, history.

Only mspcrm servers have it; against a real Autotask tenant these calls raise
``NotFoundError``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from mspcrm.errors import MspcrmError
from mspcrm.sdk import responses
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

    def available(self) -> bool:
        """Whether the server answers ``/api/v1`` (asked once per client): mspcrm does unless
        it serves only what Autotask serves; a real tenant never does."""
        if self._client.native_available is None:
            try:
                self._get("openapi.json")
                self._client.native_available = True
            except MspcrmError:
                self._client.native_available = False
        return self._client.native_available

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

    # ---- import and export (CSV in, the import format out) ---------------------------------
    def _raw(
        self,
        method: str,
        path: str,
        *,
        content: Any = None,
        params: dict[str, str] | None = None,
    ) -> httpx.Request:
        headers = dict(self._client._auth)
        if content is not None:
            headers["Content-Type"] = "text/csv; charset=utf-8"
        http = self._client._http
        return http.build_request(
            method, self._url(path), params=params, content=content, headers=headers
        )

    def import_csv(
        self,
        entity: str,
        data: bytes | str | Path,
        *,
        dry_run: bool = False,
        update_existing: bool = True,
        batch_size: int | None = None,
        resume: int | None = None,
    ) -> Any:
        """Import a CSV file (a ``Path``, or its content as text or bytes) into ``companies``,
        ``contacts``, ``locations`` or ``opportunities``: the counts, the job id, and the
        per-row report (every row for a dry run, the rejected rows otherwise)."""
        params = {"dryRun": str(dry_run).lower(), "updateExisting": str(update_existing).lower()}
        if batch_size is not None:
            params["batchSize"] = str(batch_size)
        if resume is not None:
            params["resume"] = str(resume)
        path = f"imports/{entity}"
        if isinstance(data, Path):
            params["fileName"] = data.name
            with data.open("rb") as stream:  # streamed, not read into memory
                chunks = iter(lambda: stream.read(1 << 16), b"")
                return self._send_raw(self._raw("POST", path, content=chunks, params=params))
        content = data.encode("utf-8") if isinstance(data, str) else data
        return self._send_raw(self._raw("POST", path, content=content, params=params))

    def _send_raw(self, request: httpx.Request) -> Any:
        return responses.decode(self._client._http.send(request))

    def import_job(self, job_id: int) -> Any:
        """An import job: its status, last committed row and counts."""
        return self._get(f"imports/jobs/{job_id}")

    def export(self, entity: str, *, format: str = "csv") -> str:
        """The whole export as text (CSV or JSON) in the import format."""
        request = self._raw("GET", f"exports/{entity}", params={"format": format})
        response = self._client._http.send(request)
        if response.status_code >= 400:
            raise responses.error_for(response)
        return response.text

    def export_to(self, entity: str, path: Path, *, format: str = "csv") -> int:
        """Stream the export into ``path``; returns the bytes written."""
        request = self._raw("GET", f"exports/{entity}", params={"format": format})
        response = self._client._http.send(request, stream=True)
        try:
            if response.status_code >= 400:
                response.read()
                raise responses.error_for(response)
            written = 0
            with path.open("wb") as out:
                for chunk in response.iter_bytes():
                    written += out.write(chunk)
            return written
        finally:
            response.close()

    # ---- MSP workflows (docs/workflows.md) ------------------------------------------------
    def _get_params(self, path: str, params: dict[str, Any]) -> Any:
        kept = {
            k: str(v).lower() if isinstance(v, bool) else str(v)
            for k, v in params.items()
            if v is not None
        }
        return self._client.send(Call("GET", self._url(path), params=kept))

    def onboard(
        self, document: dict[str, Any], *, dry_run: bool = False, fingerprint: str | None = None
    ) -> Any:
        """Onboard a client in one transaction (or plan it with ``dry_run``)."""
        body: dict[str, Any] = {"document": document, "dryRun": dry_run}
        if fingerprint:
            body["fingerprint"] = fingerprint
        return self._post("onboarding", body)

    def onboarding_template(self) -> str:
        return str(self._get("onboarding/template")["template"])

    def contact_deactivate(
        self, contact_id: int, *, successor_id: int | None = None, force: bool = False
    ) -> Any:
        body = {"successorID": successor_id, "force": force}
        return self._post(f"Contacts/{contact_id}/deactivate", body)

    def contact_move(self, contact_id: int, company_id: int) -> Any:
        return self._post(f"Contacts/{contact_id}/move", {"companyID": company_id})

    def contact_roles(
        self,
        contact_id: int,
        *,
        add: list[Any] | None = None,
        remove: list[Any] | None = None,
        title: str | None = None,
    ) -> Any:
        """Add and remove roles (labels or values) and set the title, in one transaction."""
        body: dict[str, Any] = {"add": add or [], "remove": remove or []}
        if title is not None:
            body["title"] = title
        return self._post(f"Contacts/{contact_id}/roles", body)

    def company_contacts(self, company_id: int, *, active_only: bool = False) -> Any:
        return self._get_params(f"Companies/{company_id}/contacts", {"activeOnly": active_only})

    def transfer(
        self,
        from_resource_id: int,
        to_resource_id: int,
        *,
        filter: list[Any] | None = None,
        opportunities: bool = False,
        dry_run: bool = False,
    ) -> Any:
        """Move account ownership in bulk (Autotask's account transfer)."""
        body = {
            "fromResourceID": from_resource_id,
            "toResourceID": to_resource_id,
            "filter": filter or [],
            "opportunities": opportunities,
            "dryRun": dry_run,
        }
        return self._post("Companies/transfer", body)

    def company_tree(self, company_id: int, *, max_depth: int | None = None) -> Any:
        return self._get_params(f"Companies/{company_id}/tree", {"maxDepth": max_depth})

    def company_descendants(self, company_id: int, *, max_depth: int | None = None) -> Any:
        return self._get_params(f"Companies/{company_id}/descendants", {"maxDepth": max_depth})

    def company_rollup(self, company_id: int) -> Any:
        return self._get(f"Companies/{company_id}/rollup")

    def audit(self, *, rules: list[str] | None = None, duplicates: bool = True) -> Any:
        """Data-quality findings: {"findings": [...], "counts": {...}, "total": N}."""
        return self._get_params("audit", {"rules": ",".join(rules or []), "duplicates": duplicates})

    def report(self, name: str, by: str, *, rollup: int | None = None) -> Any:
        """``report("companies", "type")`` or ``report("pipeline", "stage", rollup=ID)``."""
        return self._get_params(f"reports/{name}", {"by": by, "rollup": rollup})
