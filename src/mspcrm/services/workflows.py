"""The MSP workflows over one set of services: onboarding, contact lifecycle, account
transfer, hierarchy, audit and reports. Each workflow has one implementation here; the
API, the SDK and the CLI all end in it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from mspcrm.services.audit import AuditService
from mspcrm.services.contacts import ContactLifecycle
from mspcrm.services.hierarchy import HierarchyService
from mspcrm.services.onboarding import OnboardingService
from mspcrm.services.reports import ReportService
from mspcrm.services.transfer import TransferService

if TYPE_CHECKING:
    from mspcrm.services.crm import Services


@dataclass(frozen=True)
class Workflows:
    onboarding: OnboardingService
    contacts: ContactLifecycle
    transfer: TransferService
    hierarchy: HierarchyService
    audit: AuditService
    reports: ReportService


def workflows_for(services: Services) -> Workflows:
    """The workflow services over ``services`` (cheap: they hold references only)."""
    records = services.records
    hierarchy = HierarchyService(records)
    return Workflows(
        onboarding=OnboardingService(records, services.duplicates),
        contacts=ContactLifecycle(records),
        transfer=TransferService(records),
        hierarchy=hierarchy,
        audit=AuditService(records, services.duplicates),
        reports=ReportService(records),
    )
