"""The workflows as the CLI and the agent tools call them, on whatever target they were given.

Where the server answers ``/api/v1`` (the local database in process, an mspcrm server)
the call goes there: one request, one database transaction. Anywhere else (a real
Autotask tenant, mspcrm serving only what Autotask serves) the same workflow runs here,
over the plain REST API (``sdk.port.RestPort``). Either way the rules are those of
``mspcrm.workflows``: there is no second copy.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from mspcrm import workflow_merges
from mspcrm.domain.entities import COMPANY
from mspcrm.domain.onboarding_template import TEMPLATE
from mspcrm.duplicate_lookup import check_by_queries
from mspcrm.errors import NotFoundError
from mspcrm.journal import FileJournal, MergeLog
from mspcrm.sdk import Client
from mspcrm.sdk.native import NativeClient
from mspcrm.sdk.port import RestPort
from mspcrm.workflows import (
    audit,
    contacts,
    duplicates,
    estimates,
    hierarchy,
    merge,
    onboarding,
    reports,
    transfer,
)

T = TypeVar("T")


class WorkflowClient:
    """``client.native``'s workflow calls, answered without ``/api/v1`` where need be."""

    def __init__(self, client: Client, *, plain_api: bool = False) -> None:
        self.client = client
        self.port = RestPort(client)
        self.plain_api = plain_api

    @property
    def native(self) -> bool:
        """Whether the calls go to ``/api/v1`` (asked of the server once)."""
        return not self.plain_api and self.client.native.available()

    def _run(self, fast: Callable[[NativeClient], T], anywhere: Callable[[RestPort], T]) -> T:
        return fast(self.client.native) if self.native else anywhere(self.port)

    # ---- onboarding ---------------------------------------------------------------------
    def onboard(
        self, document: dict[str, Any], *, dry_run: bool = False, fingerprint: str | None = None
    ) -> Any:
        """Onboard a client: one transaction through ``/api/v1``, else step by step with a
        journal beside the profiles (an interrupted run resumes when run again)."""
        if self.native:
            return self.client.native.onboard(document, dry_run=dry_run, fingerprint=fingerprint)
        where = f"{self.client.base_url or ''} {self.client.username}"
        return onboarding.onboard(
            self.port,
            document,
            check=lambda body: check_by_queries(self.client, COMPANY, body, limit=5),
            store=FileJournal.for_run("onboarding", where, document),
            dry_run=dry_run,
            expected_fingerprint=fingerprint,
        )

    def onboarding_template(self) -> str:
        return str(TEMPLATE)

    # ---- duplicates ---------------------------------------------------------------------
    def duplicates_scan(
        self, entity: str, *, include_ambiguous: bool = False, yes: bool = False
    ) -> Any:
        """Near-duplicate clusters of a whole table: the server's indexed scan, or every
        record paged here and scored with the same scorer (a large one asks first)."""

        def anywhere(port: RestPort) -> Any:
            path = self.client.entity(entity).path
            self._ask("duplicate scan", estimates.paged_requests(port, [path]), yes)
            return duplicates.scan_report(port, entity, include_ambiguous=include_ambiguous)

        return self._run(
            lambda n: n.duplicates_scan(entity, include_ambiguous=include_ambiguous), anywhere
        )

    # ---- merges -------------------------------------------------------------------------
    def _merge_log(self) -> MergeLog:
        return MergeLog.for_target(f"{self.client.base_url or ''} {self.client.username}")

    def merge_plan(self, entity: str, keep_id: int, other_id: int) -> Any:
        return self._run(
            lambda n: n.merge_plan(entity, keep_id, other_id),
            lambda p: merge.plan(p, entity, keep_id, other_id).to_wire(),
        )

    def merge(
        self, entity: str, keep_id: int, other_id: int, *, fingerprint: str | None = None
    ) -> Any:
        """Merge OTHER into KEEP; on a tenant by PATCHes, logged beside the profiles."""
        return self._run(
            lambda n: n.merge(entity, keep_id, other_id, fingerprint=fingerprint),
            lambda p: workflow_merges.merge(
                p, self._merge_log(), entity, keep_id, other_id, fingerprint
            ),
        )

    def merge_get(self, merge_id: int) -> Any:
        return self._run(
            lambda n: n.merge_get(merge_id),
            lambda p: workflow_merges.get(self._merge_log(), merge_id),
        )

    def merge_undo(self, merge_id: int) -> Any:
        return self._run(
            lambda n: n.merge_undo(merge_id),
            lambda p: workflow_merges.undo(p, self._merge_log(), merge_id),
        )

    # ---- hierarchy ----------------------------------------------------------------------
    def company_tree(self, company_id: int, *, max_depth: int | None = None) -> Any:
        depth = hierarchy.MAX_DEPTH if max_depth is None else max_depth
        return self._run(
            lambda n: n.company_tree(company_id, max_depth=max_depth),
            lambda p: hierarchy.tree(p, company_id, max_depth=depth),
        )

    def company_descendants(self, company_id: int, *, max_depth: int | None = None) -> Any:
        depth = hierarchy.MAX_DEPTH if max_depth is None else max_depth
        return self._run(
            lambda n: n.company_descendants(company_id, max_depth=max_depth),
            lambda p: hierarchy.descendants(p, company_id, max_depth=depth),
        )

    def company_rollup(self, company_id: int) -> Any:
        return self._run(
            lambda n: n.company_rollup(company_id), lambda p: hierarchy.rollup(p, company_id)
        )

    # ---- contacts -----------------------------------------------------------------------
    def company_contacts(self, company_id: int, *, active_only: bool = False) -> Any:
        return self._run(
            lambda n: n.company_contacts(company_id, active_only=active_only),
            lambda p: contacts.company_contacts(p, company_id, active_only=active_only),
        )

    def contact_deactivate(
        self, contact_id: int, *, successor_id: int | None = None, force: bool = False
    ) -> Any:
        return self._run(
            lambda n: n.contact_deactivate(contact_id, successor_id=successor_id, force=force),
            lambda p: contacts.deactivate(p, contact_id, successor_id=successor_id, force=force),
        )

    def contact_move(self, contact_id: int, company_id: int) -> Any:
        return self._run(
            lambda n: n.contact_move(contact_id, company_id),
            lambda p: contacts.move(p, contact_id, company_id),
        )

    def contact_roles(
        self,
        contact_id: int,
        *,
        add: list[Any] | None = None,
        remove: list[Any] | None = None,
        title: str | None = None,
    ) -> Any:
        return self._run(
            lambda n: n.contact_roles(contact_id, add=add, remove=remove, title=title),
            lambda p: contacts.update_roles(
                p, contact_id, add=add or [], remove=remove or [], title=title
            ),
        )

    # ---- transfer -----------------------------------------------------------------------
    def transfer(
        self,
        from_resource_id: int,
        to_resource_id: int,
        *,
        filter: list[Any] | None = None,
        opportunities: bool = False,
        dry_run: bool = False,
    ) -> Any:
        options: dict[str, Any] = {
            "filter": filter,
            "opportunities": opportunities,
            "dry_run": dry_run,
        }
        return self._run(
            lambda n: n.transfer(from_resource_id, to_resource_id, **options),
            lambda p: transfer.transfer(p, from_resource_id, to_resource_id, **options),
        )

    # ---- audit and reports --------------------------------------------------------------
    def audit(
        self, *, rules: list[str] | None = None, duplicates: bool = True, yes: bool = False
    ) -> Any:
        """Data-quality findings: {"findings": [...], "counts": {...}, "total": N}.

        Over the plain API a large audit asks first (``yes`` goes on)."""

        def anywhere(port: RestPort) -> Any:
            audit.rules_wanted(rules, duplicates)
            pages = ["Companies", "Contacts", "CompanyLocations", "Opportunities"]
            needed = estimates.paged_requests(port, pages)
            if duplicates:
                needed += estimates.paged_requests(port, ["Companies", "Contacts"])
            self._ask("audit", needed, yes)
            return audit.run(port, rules=rules, duplicates=duplicates)

        return self._run(lambda n: n.audit(rules=rules, duplicates=duplicates), anywhere)

    def _ask(self, job: str, needed: int, yes: bool) -> None:
        if needed > estimates.ASK_ABOVE and not yes:
            estimates.check(job, needed, self.client.threshold(), yes=yes)

    def report(self, name: str, by: str, *, rollup: int | None = None) -> Any:
        """``report("companies", "type")`` or ``report("pipeline", "stage", rollup=ID)``."""
        build = {"companies": reports.companies, "pipeline": reports.pipeline}.get(name.lower())
        if build is None:
            raise NotFoundError(f"No report named {name!r}: use companies or pipeline")
        return self._run(
            lambda n: n.report(name, by, rollup=rollup), lambda p: build(p, by, rollup=rollup)
        )
