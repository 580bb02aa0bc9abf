"""Every entity mspcrm serves, declared once as data."""

from mspcrm.domain.entities.companies import COMPANY
from mspcrm.domain.entities.contact_roles import CONTACT_ROLE
from mspcrm.domain.entities.contacts import CONTACT
from mspcrm.domain.entities.contracts import CONTRACT
from mspcrm.domain.entities.countries import COUNTRY
from mspcrm.domain.entities.locations import COMPANY_LOCATION
from mspcrm.domain.entities.notes import COMPANY_NOTE
from mspcrm.domain.entities.opportunities import OPPORTUNITY
from mspcrm.domain.entities.resources import RESOURCE
from mspcrm.domain.entities.webhooks import error_log, family
from mspcrm.domain.entity import Registry

CRM_ENTITIES = (
    COMPANY,
    CONTACT,
    COMPANY_LOCATION,
    OPPORTUNITY,
    CONTRACT,
    COMPANY_NOTE,
    CONTACT_ROLE,
    RESOURCE,
    COUNTRY,
)
# one family of webhook entities per entity that supports callouts (domain/entities/webhooks.py)
WEBHOOK_FAMILIES = tuple(family(e) for e in CRM_ENTITIES if e.supports_webhooks)
WEBHOOK_EVENT_ERROR_LOG = error_log(WEBHOOK_FAMILIES)
ENTITIES = (
    *CRM_ENTITIES,
    *(e for f in WEBHOOK_FAMILIES for e in f.entities),
    WEBHOOK_EVENT_ERROR_LOG,
)


def build_registry() -> Registry:
    """The registry of all declared entities, cross-checked."""
    return Registry(ENTITIES)


__all__ = [
    "COMPANY",
    "COMPANY_LOCATION",
    "COMPANY_NOTE",
    "CONTACT",
    "CONTACT_ROLE",
    "CONTRACT",
    "COUNTRY",
    "ENTITIES",
    "OPPORTUNITY",
    "RESOURCE",
    "WEBHOOK_EVENT_ERROR_LOG",
    "WEBHOOK_FAMILIES",
    "build_registry",
]
