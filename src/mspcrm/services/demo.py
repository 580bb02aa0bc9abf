"""Demo data for a first look: staff, an API user, client companies with contacts and sites."""

from __future__ import annotations

import secrets
from dataclasses import asdict, dataclass
from datetime import timedelta
from typing import Any

from mspcrm.domain.fields import utc_now
from mspcrm.domain.udfs import UdfDefinition
from mspcrm.services.admin import ApiUser
from mspcrm.services.context import Actor
from mspcrm.services.crm import Services
from mspcrm.services.settings import SettingsService
from mspcrm.store.duplicate_keys import DEFAULT_REGION_SETTING

DEMO_USERNAME = "demo-api@msp.example"
# The demo MSP is in the US: a number written without a country code on a record without a
# country is read as a US number (``mspcrm settings set default-region GB`` for a UK MSP).
DEMO_REGION = "US"


@dataclass(frozen=True)
class DemoLogins(ApiUser):
    """The demo API user, plus the account manager's sign-in for the web pages."""

    web_username: str = ""
    web_password: str = ""


COMPANIES: list[dict[str, Any]] = [
    {
        "companyName": "Acme Corporation",
        "companyType": 1,
        "phone": "555-123-4567",
        "address1": "123 Main Street",
        "city": "Springfield",
        "state": "IL",
        "postalCode": "62701",
        "country": "United States",
        "webAddress": "https://acme.example.com",
        "classification": 2,
    },
    {
        "companyName": "Acme Corporation - West",
        "companyType": 1,
        "city": "Sacramento",
        "state": "CA",
        "country": "US",
        "webAddress": "https://west.acme.example.com",
        "parent": "Acme Corporation",
    },
    {
        "companyName": "Globex Health",
        "companyType": 3,
        "phone": "555-400-1000",
        "city": "Boston",
        "state": "MA",
        "country": "United States",
        "marketSegmentID": 1,
    },
    {
        "companyName": "Initech LLC",
        "companyType": 2,
        "city": "Austin",
        "state": "TX",
        "country": "USA",
        "webAddress": "initech.example",
    },
    {
        "companyName": "Umbrella Supplies",
        "companyType": 5,
        "phone": "020 7946 0018",
        "city": "London",
        "country": "GB",
    },
    {
        "companyName": "Stark Logistics",
        "companyType": 4,
        "city": "Denver",
        "state": "CO",
        "country": "United States",
    },
    {  # the same client entered twice (an old import): `mspcrm merge companies 4 8` fixes it
        "companyName": "Initech",
        "companyType": 2,
        "city": "Austin",
        "state": "TX",
        "country": "USA",
        "webAddress": "https://www.initech.example",
        "phone": "512-555-0199",
    },
]
CONTACTS = [
    ("Acme Corporation", "John", "Smith", "john.smith@acme.example.com", "IT Director", True),
    ("Acme Corporation", "Maria", "Garcia", "maria.garcia@acme.example.com", "CFO", False),
    ("Acme Corporation - West", "Wei", "Chen", "wei.chen@acme.example.com", "Office Manager", True),
    ("Globex Health", "Hank", "Scorpio", "hank@globex.example.com", "CEO", True),
    ("Initech LLC", "Peter", "Gibbons", "peter@initech.example", "Engineer", True),
    ("Initech", "Samir", "Nagheenanajar", "samir@initech.example", "Developer", False),
]
ACCOUNT_MANAGERS = (
    ("Alex", "Morgan", "alex.morgan@msp.example"),
    ("Ann", "Lee", "ann.lee@msp.example"),
)
COMPANY_UDFS = (
    UdfDefinition(
        "Company",
        "NAV ID",
        "string",
        20,
        label="NAV ID",
        description="The client's number in the accounting system",
    ),
)


def load_demo(services: Services) -> DemoLogins | None:
    """Fill an empty installation; returns the demo API user and the web sign-in of the
    first account manager (passwords shown once), or None if already there."""
    if services.auth.known_user(DEMO_USERNAME):
        return None
    SettingsService(services.db, services.duplicates).set(DEFAULT_REGION_SETTING, DEMO_REGION)
    admin = services.admin
    managers = [
        admin.create_resource(first, last, email, title="Account Manager")[0]
        for first, last, email in ACCOUNT_MANAGERS
    ]
    manager_id = managers[0]
    _, user = admin.create_resource(
        "Demo", "Integration", DEMO_USERNAME, api_user=True, title="API User"
    )
    assert user is not None
    for udf in COMPANY_UDFS:
        admin.add_udf(udf)
    actor = Actor(resource_id=manager_id, channel="system")
    ids = _companies(services, actor, manager_id)
    _contacts(services, actor, ids)
    _sites_and_deals(services, actor, ids, manager_id)
    web_username = ACCOUNT_MANAGERS[0][2]
    web_password = secrets.token_urlsafe(12)
    services.web_accounts.set_password(web_username, web_password)
    return DemoLogins(**asdict(user), web_username=web_username, web_password=web_password)


def _companies(services: Services, actor: Actor, owner: int) -> dict[str, int]:
    company = services.registry.by_name("Company")
    ids: dict[str, int] = {}
    for spec in COMPANIES:
        body = {k: v for k, v in spec.items() if k != "parent"}
        body["ownerResourceID"] = owner
        if "parent" in spec:
            body["parentCompanyID"] = ids[spec["parent"]]
        ids[spec["companyName"]] = services.records.create(company, body, actor)
    return ids


def _contacts(services: Services, actor: Actor, ids: dict[str, int]) -> None:
    contact = services.registry.by_name("Contact")
    for company, first, last, email, title, primary in CONTACTS:
        body = {
            "companyID": ids[company],
            "firstName": first,
            "lastName": last,
            "emailAddress": email,
            "title": title,
            "isActive": 1,
            "primaryContact": primary,
        }
        services.records.create(contact, body, actor)


def _sites_and_deals(services: Services, actor: Actor, ids: dict[str, int], owner: int) -> None:
    location = services.registry.by_name("CompanyLocation")
    services.records.create(
        location,
        {
            "companyID": ids["Acme Corporation"],
            "name": "Warehouse",
            "address1": "9 Dock Road",
            "city": "Springfield",
            "state": "IL",
            "country": "United States",
        },
        actor,
    )
    opportunity = services.registry.by_name("Opportunity")
    close = utc_now() + timedelta(days=45)
    for company, title, amount, probability in (
        ("Acme Corporation", "Managed services renewal", 48000.0, 80),
        ("Globex Health", "HIPAA compliance project", 15000.0, 40),
        ("Initech LLC", "Microsoft 365 migration", 9000.0, 20),
    ):
        services.records.create(
            opportunity,
            {
                "companyID": ids[company],
                "title": title,
                "amount": amount,
                "probability": probability,
                "projectedCloseDate": close,
                "ownerResourceID": owner,
            },
            actor,
        )
