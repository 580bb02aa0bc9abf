"""Picklist values and the lists a new installation starts with.

Picklists are installation data: these defaults are written once when a
database is first set up and are then listed and edited with the CLI. A
picklist is keyed ``Entity.field``; a field may share another's list through
``Field.picklist_key``.
"""

from __future__ import annotations

from dataclasses import dataclass

from mspcrm.domain.entity import Entity
from mspcrm.domain.fields import Field


@dataclass(frozen=True)
class PicklistValue:
    value: int
    label: str
    is_default: bool = False
    sort_order: int = 0
    is_active: bool = True
    is_system: bool = False
    parent_value: str = ""

    def to_wire(self) -> dict[str, object]:
        return {
            "value": str(self.value),
            "label": self.label,
            "isDefaultValue": self.is_default,
            "sortOrder": self.sort_order,
            "parentValue": self.parent_value,
            "isActive": self.is_active,
            "isSystem": self.is_system,
        }


def picklist_key(entity: Entity, field: Field) -> str:
    return field.picklist_key or f"{entity.name}.{field.name}"


def _values(
    *labels: str, default: int | None = 1, start: int = 1, system: bool = False
) -> tuple[PicklistValue, ...]:
    return tuple(
        PicklistValue(
            value=start + i,
            label=label,
            is_default=(start + i) == default,
            sort_order=i,
            is_system=system,
        )
        for i, label in enumerate(labels)
    )


DEFAULT_PICKLISTS: dict[str, tuple[PicklistValue, ...]] = {
    "Company.companyType": _values(
        "Customer",
        "Lead",
        "Prospect",
        "Dead",
        "Vendor",
        "Partner",
        "Cancelation",
        default=None,
        system=True,
    ),
    "Company.classification": _values("Platinum", "Gold", "Silver", "Bronze", default=None),
    "Company.marketSegmentID": _values(
        "Healthcare",
        "Legal",
        "Financial Services",
        "Manufacturing",
        "Education",
        "Non-Profit",
        "Retail",
        "Professional Services",
        "Government",
        default=None,
    ),
    "Company.territoryID": _values("North", "South", "East", "West", default=None),
    "Company.invoiceMethod": _values("Email", "Print", "Email and Print", default=None),
    "Company.billToAddressToUse": _values(
        "Use Company Address", "Use Parent Company Address", "Use Other Address", system=True
    ),
    "Company.companyCategoryID": _values(
        "Standard", "Key Account", "Internal", start=100, default=100
    ),
    "Company.taxRegionID": _values("Default", "Reduced Rate", "Exempt", default=None),
    "Contact.namePrefix": _values("Mr.", "Mrs.", "Ms.", "Dr.", "Prof.", default=None),
    "Contact.nameSuffix": _values("Jr.", "Sr.", "II", "III", "PhD", default=None),
    "Opportunity.status": _values(
        "Not Ready To Buy",
        "Active",
        "Lost",
        "Closed",
        "Implemented",
        start=0,
        default=1,
        system=True,
    ),
    "Opportunity.stage": _values(
        "Qualification", "Needs Analysis", "Proposal", "Negotiation", "Closed Won", "Closed Lost"
    ),
    "Opportunity.rating": _values("Hot", "Warm", "Cold", default=None),
    "Opportunity.leadSource": _values(
        "Referral", "Website", "Partner", "Event", "Cold Call", "Existing Customer", default=None
    ),
    "Opportunity.lossReason": _values(
        "Price", "Competitor", "No Decision", "Timing", "Missing Features", default=None
    ),
    "Opportunity.winReason": _values(
        "Price", "Relationship", "Service Quality", "Features", default=None
    ),
    "Opportunity.primaryCompetitor": _values(
        "Other MSP", "In-house IT", "Vendor Direct", default=None
    ),
    "Opportunity.opportunityCategoryID": _values("Standard", "Managed Services", "Project"),
    "Contract.contractType": _values(
        "Time and Materials",
        "Fixed Price",
        "Block Hours",
        "Retainer",
        "Recurring Service",
        "Per Ticket",
        default=5,
    ),
    "Contract.status": _values("Inactive", "Active", start=0, default=1, system=True),
    "Contract.contractCategory": _values(
        "Managed Services", "Break/Fix", "Project", "Hardware as a Service", default=None
    ),
    "Contract.serviceLevelAgreementID": _values(
        "Standard (business hours)", "Premium (24x7)", "Basic (next business day)", default=None
    ),
    "Contract.billingPreference": _values("Manually", "Immediately", "On approval"),
    "Contract.contractPeriodType": _values(
        "Monthly", "Quarterly", "Semi-Annual", "Yearly", default=None
    ),
    "CompanyNote.actionType": _values(
        "General",
        "Phone Call",
        "Meeting",
        "Email",
        "Key Account Information",
        "Onboarding",
        default=1,
        system=False,
    ),
    "CompanyNote.noteType": _values("Internal", "Client Visible", default=1),
    "ContactRole.role": _values(
        "Authorizes work",
        "Technical contact",
        "Billing contact",
        "Primary decision maker",
        "Executive sponsor",
        "Security contact",
        "After-hours contact",
        "Escalation contact",
        default=None,
    ),
    "Resource.licenseType": _values("Full", "Limited", "API User", default=None),
    "Resource.userType": _values("Staff", "API User (system)"),
}
