"""Seeded fake records in wire shape (camelCase names, stored values), with planted duplicates.

Company names are made of invented words, so two generated companies only look alike
when a duplicate was planted on purpose; the ground truth is the list of planted pairs.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

SYLLABLES = (  # noqa: SIM905
    "ba be bi bo bu da de di do du fa fe fi fo ka ke ki ko ku la le li lo lu ma me mi mo "
    "mu na ne ni no nu pa pe pi po ra re ri ro ru sa se si so su ta te ti to tu va ve vi "
    "vo za zo bran cor dal fen gar hol kin lor mar nor pen quin ros sil tor vel wen xan "
    "yor zen"
).split()
INDUSTRY = (  # noqa: SIM905
    "Dental Logistics Ventures Systems Health Partners Foods Legal Realty Consulting "
    "Manufacturing Analytics Media Motors Energy Finance Design Labs Works Supply"
).split()
SUFFIXES = ("Inc", "LLC", "Ltd", "Corp", "Co", "GmbH", "")
LONG_SUFFIX = {"Inc": "Incorporated", "LLC": "L.L.C.", "Ltd": "Limited", "Corp": "Corporation"}
CITIES = (
    ("Springfield", "IL", "62701", "217"),
    ("Austin", "TX", "73301", "512"),
    ("Boston", "MA", "02108", "617"),
    ("Denver", "CO", "80202", "303"),
    ("Seattle", "WA", "98101", "206"),
    ("Chicago", "IL", "60601", "312"),
    ("Portland", "OR", "97201", "503"),
    ("Atlanta", "GA", "30301", "404"),
    ("Phoenix", "AZ", "85001", "602"),
    ("Raleigh", "NC", "27601", "919"),
)
STREETS = ("Main St", "Oak Ave", "Pine Rd", "Maple Dr", "Cedar Ln", "Elm St", "Lake Blvd")
FIRST = (  # noqa: SIM905
    "James Mary John Patricia Robert Jennifer Michael Linda William Elizabeth David "
    "Barbara Richard Susan Joseph Jessica Thomas Sarah Charles Karen Daniel Nancy "
    "Matthew Lisa Anthony Betty Mark Sandra Paul Ashley Steven Kimberly Andrew Emily "
    "Joshua Donna Kevin Michelle"
).split()
LAST = (  # noqa: SIM905
    "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez "
    "Lopez Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez "
    "Thompson White Harris Sanchez Clark Ramirez Lewis Robinson Walker Young Allen King "
    "Wright Scott"
).split()
TIERS = ("Gold", "Silver", "Bronze", "Platinum", "None")
UDF_NAME = "Tier"
EPOCH = datetime(2024, 1, 1, tzinfo=UTC).replace(tzinfo=None)


def _word(rng: random.Random, parts: int) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(parts)).capitalize()


def _phone(rng: random.Random, area: str) -> str:
    return f"({area}) {rng.randint(200, 999)}-{rng.randint(0, 9999):04d}"


def company(rng: random.Random, company_id: int, resource_id: int) -> dict[str, Any]:
    stem = f"{_word(rng, 3)} {_word(rng, 2)}"
    suffix = rng.choice(SUFFIXES)
    name = f"{stem} {rng.choice(INDUSTRY)} {suffix}".strip()
    city, state, postal, area = rng.choice(CITIES)
    when = EPOCH + timedelta(minutes=company_id)
    return {
        "id": company_id,
        "companyName": name,
        "companyType": rng.randint(1, 5),
        "companyNumber": f"C{company_id:07d}",
        "phone": _phone(rng, area),
        "address1": f"{rng.randint(1, 9999)} {rng.choice(STREETS)}",
        "city": city,
        "state": state,
        "postalCode": postal,
        "countryID": 840,
        "webAddress": f"www.{stem.replace(' ', '').lower()}{company_id % 97}.com",
        "isActive": rng.random() > 0.1,
        "ownerResourceID": resource_id,
        "createdByResourceID": resource_id,
        "billToAddressToUse": 1,
        "companyCategoryID": 100,
        "classification": rng.randint(1, 4),
        "marketSegmentID": rng.randint(1, 8),
        "createDate": when,
        "lastActivityDate": when,
        "lastTrackedModifiedDateTime": when,
        "userDefinedFields": {UDF_NAME: rng.choice(TIERS)},
    }


def near_duplicate(rng: random.Random, original: dict[str, Any], new_id: int) -> dict[str, Any]:
    """The same company typed again by someone else: name, phone and web written differently."""
    dup = dict(original, id=new_id, companyNumber=f"C{new_id:07d}")
    words = original["companyName"].split()
    choice = rng.randint(0, 3)
    if choice == 0 and words[-1] in LONG_SUFFIX:
        words[-1] = LONG_SUFFIX[words[-1]]
    elif choice == 1:
        words = [w.upper() for w in words]
    elif choice == 2 and len(words[0]) > 4:  # a transposition typo in the first word
        w = words[0]
        words[0] = w[:2] + w[3] + w[2] + w[4:]
    else:
        words = ["The", *words]
    dup["companyName"] = " ".join(words)
    digits = "".join(ch for ch in original["phone"] if ch.isdigit())
    dup["phone"] = f"+1 {digits[:3]} {digits[3:6]} {digits[6:]}" if rng.random() < 0.8 else None
    dup["webAddress"] = f"https://{original['webAddress'].removeprefix('www.')}/"
    return dup


def companies(
    rng: random.Random, count: int, planted: int, resource_id: int
) -> tuple[list[dict[str, Any]], list[tuple[int, int]]]:
    """``count`` companies with ids 1..count; the last ``planted`` duplicate earlier ones."""
    originals = count - planted
    rows = [company(rng, i, resource_id) for i in range(1, originals + 1)]
    truth = []
    for new_id in range(originals + 1, count + 1):
        source = rng.randint(1, originals)
        rows.append(near_duplicate(rng, rows[source - 1], new_id))
        truth.append((source, new_id))
    return rows, truth


def contact(rng: random.Random, contact_id: int, company_row: dict[str, Any]) -> dict[str, Any]:
    first, last = rng.choice(FIRST), rng.choice(LAST)
    domain = company_row["webAddress"].removeprefix("www.")
    when = EPOCH + timedelta(minutes=contact_id)
    return {
        "id": contact_id,
        "companyID": company_row["id"],
        "firstName": first,
        "lastName": last,
        "emailAddress": f"{first}.{last}{contact_id}@{domain}".lower(),
        "phone": company_row["phone"],
        "city": company_row["city"],
        "state": company_row["state"],
        "isActive": 1,
        "primaryContact": False,
        "title": rng.choice(("CEO", "CTO", "Office Manager", "IT Lead", "Accountant")),
        "createDate": when,
        "lastActivityDate": when,
        "lastModifiedDate": when,
        "userDefinedFields": {},
    }


def location(location_id: int, company_row: dict[str, Any], primary: bool) -> dict[str, Any]:
    return {
        "id": location_id,
        "companyID": company_row["id"],
        "name": "Headquarters" if primary else f"Branch {location_id}",
        "isPrimary": primary,
        "isActive": True,
        "address1": company_row["address1"],
        "city": company_row["city"],
        "state": company_row["state"],
        "postalCode": company_row["postalCode"],
        "countryID": 840,
        "phone": company_row["phone"],
    }


def opportunity(
    rng: random.Random, opportunity_id: int, company_row: dict[str, Any], resource_id: int
) -> dict[str, Any]:
    when = EPOCH + timedelta(minutes=opportunity_id)
    amount = float(rng.randint(1, 500) * 100)
    return {
        "id": opportunity_id,
        "companyID": company_row["id"],
        "title": f"Managed services for {company_row['companyName']}"[:128],
        "amount": amount,
        "cost": amount * 0.6,
        "probability": rng.randint(0, 100),
        "ownerResourceID": resource_id,
        "projectedCloseDate": when + timedelta(days=90),
        "startDate": when,
        "stage": rng.randint(1, 6),
        "status": 1,
        "opportunityCategoryID": 1,
        "useQuoteTotals": False,
        "createDate": when,
        "lastActivity": when,
        "userDefinedFields": {},
    }
