"""Shared helpers of the workflow tests: a resource, the onboarding template, counts."""

from __future__ import annotations

from typing import Any

import pytest
import yaml  # type: ignore[import-untyped]

from mspcrm.domain.onboarding_template import TEMPLATE
from mspcrm.services.context import Actor
from mspcrm.services.crm import Services
from mspcrm.store.schema import ENTITY_TABLES

COUNTED = ("Company", "Contact", "CompanyLocation", "Contract", "CompanyNote", "ContactRole")


@pytest.fixture
def manager(services: Services) -> int:
    """The account manager the template names (ann.lee@msp.example)."""
    resource_id, _ = services.admin.create_resource("Ann", "Lee", "ann.lee@msp.example")
    return resource_id


@pytest.fixture
def actor(manager: int) -> Actor:
    return Actor(resource_id=manager, channel="cli")


def template() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(TEMPLATE)
    return loaded


def counts(services: Services) -> dict[str, int]:
    import sqlalchemy as sa

    with services.db.read() as conn:
        return {
            name: int(
                conn.execute(
                    sa.select(sa.func.count()).select_from(ENTITY_TABLES[name])
                ).scalar_one()
            )
            for name in COUNTED
        }
