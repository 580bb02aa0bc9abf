"""Reference data every database starts with: countries, picklists, company 0.

Idempotent: each part is written only where it is missing, so it runs on
every start and after every upgrade.
"""

from __future__ import annotations

import pycountry
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from mspcrm.domain.entities import COMPANY, COMPANY_LOCATION, COUNTRY, WEBHOOK_FAMILIES
from mspcrm.domain.fields import utc_now
from mspcrm.domain.picklists import DEFAULT_PICKLISTS
from mspcrm.store import catalog, history, repository, webhooks
from mspcrm.store.schema import entity_table

ROOT_COMPANY_ID = 0
ROOT_COMPANY_TYPE = 6  # Partner: the MSP itself
DEFAULT_COUNTRY_CODE = "US"


def country_rows() -> list[dict[str, object]]:
    rows = []
    for country in pycountry.countries:
        name = getattr(country, "common_name", None) or country.name
        rows.append(
            {
                "id": int(country.numeric),
                "address_format_id": 1,
                "country_code": country.alpha_2,
                "display_name": name,
                "is_active": True,
                "is_default_country": country.alpha_2 == DEFAULT_COUNTRY_CODE,
                "name": name,
            }
        )
    return rows


def seed_countries(conn: Connection) -> None:
    table = entity_table(COUNTRY)
    if conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one():
        return
    conn.execute(sa.insert(table), country_rows())


def seed_picklists(conn: Connection) -> None:
    present = set(catalog.picklist_keys(conn))
    for key, values in DEFAULT_PICKLISTS.items():
        if key not in present:
            catalog.insert_picklist_values(conn, key, list(values))


def seed_root_company(conn: Connection, name: str) -> None:
    if repository.get(conn, COMPANY, ROOT_COMPANY_ID) is not None:
        return
    now = utc_now()
    values = {
        "id": ROOT_COMPANY_ID,
        "companyName": name,
        "companyNumber": "0",
        "companyType": ROOT_COMPANY_TYPE,
        "isActive": True,
        "billToAddressToUse": 1,
        "companyCategoryID": 100,
        "createDate": now,
        "lastActivityDate": now,
        "lastTrackedModifiedDateTime": now,
    }
    repository.insert(conn, COMPANY, values, {})
    location = {
        "companyID": ROOT_COMPANY_ID,
        "name": "Primary Location",
        "isActive": True,
        "isPrimary": True,
    }
    location_id = repository.insert(conn, COMPANY_LOCATION, location)
    for entity, record_id, written in (
        (COMPANY, ROOT_COMPANY_ID, values),
        (COMPANY_LOCATION, location_id, location),
    ):
        history.record(
            conn,
            entity=entity.name,
            record_id=record_id,
            op="create",
            changes=history.diff(None, written),
            resource_id=None,
            api_user_id=None,
            channel="system",
            context="first start",
        )


def seed_reference_data(conn: Connection, *, root_company_name: str = "My MSP") -> None:
    seed_countries(conn)
    seed_picklists(conn)
    webhooks.seed_field_picklists(conn, WEBHOOK_FAMILIES)
    seed_root_company(conn, root_company_name)
