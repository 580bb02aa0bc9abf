"""Per-entity business rules, registered at lifecycle points on import."""

from mspcrm.services.rules import companies, contacts, contracts, locations, matching

__all__ = ["companies", "contacts", "contracts", "locations", "matching"]
