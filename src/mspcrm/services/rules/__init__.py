"""Per-entity business rules, registered at lifecycle points on import."""

from mspcrm.services.rules import (
    companies,
    contact_roles,
    contacts,
    contracts,
    locations,
    matching,
)

__all__ = ["companies", "contact_roles", "contacts", "contracts", "locations", "matching"]
