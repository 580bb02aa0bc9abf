"""The whole-table scan against brute force: blocking must not lose what scoring finds.

A seeded sample of companies (and contacts) with near-duplicates written many ways —
case, legal suffixes, "The", typos, dropped or added words, subdomains, reformatted or
missing phones, ZIP+4, free-mail and social addresses, switchboards shared by unrelated
tenants — goes into the database through the same key maintenance as every write. Every
pair is then scored by the plain scorer; the scan (which compares only records sharing
a key of the ``match_keys`` index) must report exactly the pairs scoring "matched". With
``include_ambiguous`` it must report exactly the pairs scoring 60 or more that share a
blocking key, and those must be at least 95% of all (a name with a typo in every word,
"Kopen Supply" / "Koen Suppey", shares no name key). A blocking change that is too
tight fails here, on both engines.
"""

from __future__ import annotations

import random
from itertools import combinations
from typing import Any

import pytest
import sqlalchemy as sa

from mspcrm.domain.duplicates import (
    MATCHED,
    UNMATCHED,
    Match,
    Scorer,
    check_duplicates,
    profile_for,
    score_company,
    score_contact,
)
from mspcrm.domain.entities import COMPANY, CONTACT
from mspcrm.domain.entity import Entity
from mspcrm.services.crm import Services
from mspcrm.services.duplicates import reindex_record
from mspcrm.store import match_keys, repository
from mspcrm.store.duplicate_keys import add_company_countries

SYLLABLES = [
    "ba",
    "ko",
    "di",
    "fe",
    "lo",
    "mar",
    "nor",
    "pen",
    "quin",
    "ros",
    "sil",
    "tor",
    "vel",
    "wen",
    "xan",
    "yor",
    "zen",
    "ka",
]
WORDS = [
    "Dental",
    "Logistics",
    "Health",
    "Partners",
    "Foods",
    "Legal",
    "Realty",
    "Labs",
    "Works",
    "Supply",
]
SUFFIXES = ["Inc", "LLC", "Ltd", "Corp", "GmbH", "", ""]
LONG = {"Inc": "Incorporated", "LLC": "L.L.C.", "Ltd": "Limited", "Corp": "Corporation"}
STREETS = ["Main St", "Oak Avenue", "Pine Road", "Hauptstraße"]
PLACES = [("Springfield", "62701"), ("Austin", "73301"), ("Boston", "02108")]
FREE_OR_SHARED = ["someone@gmail.com", "facebook.com/shop", "shop.wixsite.com", "yahoo.co.uk"]


def _word(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize()


def _company(rng: random.Random) -> dict[str, Any]:
    words = [_word(rng) for _ in range(rng.randint(1, 2))]
    if rng.random() < 0.6:
        words.append(rng.choice(WORDS))
    stem = "".join(words[:2]).lower()
    city, postal = rng.choice(PLACES)
    row: dict[str, Any] = {
        "companyName": " ".join([*words, rng.choice(SUFFIXES)]).strip(),
        "webAddress": rng.choice([f"www.{stem}.com", f"{stem}.co.uk", None, *FREE_OR_SHARED]),
        "phone": f"(217) {rng.randint(200, 209)}-{rng.randint(0, 30):04d}"
        if rng.random() < 0.7
        else None,
        "address1": f"{rng.randint(1, 12)} {rng.choice(STREETS)}" if rng.random() < 0.6 else None,
        "city": city if rng.random() < 0.8 else None,
        "postalCode": postal if rng.random() < 0.6 else None,
        "countryID": rng.choice([840, 840, 840, 276, None]),
    }
    return row


def _typo(word: str, rng: random.Random) -> str:
    if len(word) < 4:
        return word
    at = rng.randint(1, len(word) - 2)
    choice = rng.randint(0, 2)
    if choice == 0:  # transposition
        return word[:at] + word[at + 1] + word[at] + word[at + 2 :]
    if choice == 1:  # deletion
        return word[:at] + word[at + 1 :]
    return word[:at] + rng.choice("aeiouxk") + word[at + 1 :]  # substitution


def _near_duplicate(source: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    dup = dict(source)
    words = source["companyName"].split()
    for _ in range(rng.randint(1, 2)):
        change = rng.randint(0, 6)
        if change == 0:
            words = [w.upper() for w in words]
        elif change == 1 and words[-1] in LONG:
            words[-1] = LONG[words[-1]]
        elif change == 2:
            words = ["The", *words]
        elif change == 3:
            n = rng.randrange(len(words))
            words[n] = _typo(words[n], rng)
        elif change == 4 and len(words) > 1:
            words.pop(rng.randrange(len(words)))  # a word dropped: contained
        elif change == 5:
            words.append(rng.choice(WORDS))  # a word added: contained
        else:
            words = [*words[1:], words[0]]  # word order
    dup["companyName"] = " ".join(words)
    web = source["webAddress"]
    dup["webAddress"] = rng.choice(
        [web, None, f"https://{web}/about" if web else None, f"shop.{web}" if web else None]
    )
    phone = source["phone"]
    if phone and rng.random() < 0.5:
        digits = "".join(ch for ch in phone if ch.isdigit())
        dup["phone"] = None
        dup["alternatePhone1"] = f"+1 {digits[:3]}.{digits[3:6]}.{digits[6:]}"
    elif rng.random() < 0.3:
        dup["phone"] = None
    if source["postalCode"] and rng.random() < 0.3:
        dup["postalCode"] = source["postalCode"] + "-1234"
    if rng.random() < 0.2:
        dup["address1"] = None
    if rng.random() < 0.1:
        dup["countryID"] = rng.choice([None, 826])
    return dup


def company_sample(seed: int, originals: int = 150, duplicates: int = 90) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    rows = [_company(rng) for _ in range(originals)]
    for _ in range(duplicates):
        rows.append(_near_duplicate(rng.choice(rows), rng))
    for _ in range(8):  # a business park: one switchboard and street, unrelated tenants
        rows.append({**_company(rng), "phone": "555-000-1111", "address1": "1 Park Plaza"})
    rng.shuffle(rows)
    return rows


def contact_sample(seed: int, company_ids: list[int]) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    first = ["John", "Jon", "Mary", "Maria", "María", "Ann", "Anne", "Robert", "Rob"]
    last = ["Smith", "Smyth", "Garcia", "García", "Lee", "Brown", "Browne"]
    rows = []
    for _ in range(160):
        given, family = rng.choice(first), rng.choice(last)
        mail = rng.choice(["acme.example", "gmail.com", "globex.example"])
        rows.append(
            {
                "companyID": rng.choice(company_ids[:6]),
                "firstName": given,
                "lastName": family,
                "emailAddress": rng.choice(
                    [f"{given}.{family}@{mail}".lower(), f"{given[0]}{family}@{mail}", None]
                ),
                "mobilePhone": rng.choice([None, None, f"555-867-{rng.randint(0, 20):04d}"]),
                "phone": rng.choice([None, "555-000-1111", f"555-123-{rng.randint(0, 9):04d}"]),
            }
        )
    return rows


def _store(services: Services, entity: Entity, rows: list[dict[str, Any]]) -> list[int]:
    """Insert the rows and index them as every write does (``reindex_record``)."""
    ids = []
    with services.db.write() as conn:
        for row in rows:
            values = {k: v for k, v in row.items() if v is not None}
            if entity is COMPANY:
                values.setdefault("companyType", 1)
            record_id = repository.insert(conn, entity, values)
            reindex_record(conn, entity, record_id)
            ids.append(record_id)
    return ids


def _brute_force(
    services: Services, entity: Entity, ids: list[int], scorer: Scorer
) -> tuple[dict[tuple[int, int], Match], set[tuple[int, int]]]:
    """Every pair's score, and the pairs that share a blocking key (a contact's phones read in
    its company's country, as the scan reads them)."""
    with services.db.read() as conn:
        records = repository.get_many(conn, entity, ids)
        add_company_countries(conn, entity, profile_for(entity.name), records)
    keys_of = profile_for(entity.name).blocking_keys
    keys = {record["id"]: keys_of(record) for record in records}
    scores = {(a["id"], b["id"]): scorer(a, b) for a, b in combinations(records, 2)}
    return scores, {(a, b) for a, b in scores if keys[a] & keys[b]}


def _scanned(services: Services, entity: str, ambiguous: bool) -> dict[tuple[int, int], Match]:
    pairs = services.duplicates.scan_pairs(entity, include_ambiguous=ambiguous)
    return {(p.left_id, p.right_id): p.match for p in pairs}


@pytest.mark.parametrize("seed", [1, 2])
def test_company_scan_equals_brute_force(services: Services, seed: int) -> None:
    ids = _store(services, COMPANY, company_sample(seed))
    every, blocked = _brute_force(services, COMPANY, ids, score_company)
    matched = {ids: m for ids, m in every.items() if m.verdict == MATCHED}
    linked = {ids: m for ids, m in every.items() if m.verdict != UNMATCHED}
    assert len(matched) >= 40 and len(linked) > len(matched)  # the sample is not trivial
    assert _scanned(services, "Company", ambiguous=False) == matched
    found = _scanned(services, "Company", ambiguous=True)
    assert found == {ids: m for ids, m in linked.items() if ids in blocked}
    assert len(found) >= 0.95 * len(linked)
    clusters = services.duplicates.scan("Company")
    assert {i for c in clusters for i in c.ids} == {i for pair in matched for i in pair}


def test_contact_scan_equals_brute_force(services: Services) -> None:
    companies = _store(services, COMPANY, company_sample(3, originals=10, duplicates=0))
    ids = _store(services, CONTACT, contact_sample(3, companies))
    every, blocked = _brute_force(services, CONTACT, ids, score_contact)
    matched = {ids: m for ids, m in every.items() if m.verdict == MATCHED}
    linked = {ids: m for ids, m in every.items() if m.verdict != UNMATCHED}
    assert len(matched) >= 20 and len(linked) > len(matched)
    assert _scanned(services, "Contact", ambiguous=False) == matched
    found = _scanned(services, "Contact", ambiguous=True)
    assert found == {ids: m for ids, m in linked.items() if ids in blocked}
    assert len(found) >= 0.95 * len(linked)


def test_check_equals_scoring_every_record(services: Services) -> None:
    """The check's candidates (the index, capped and ranked) hold every record that
    scoring all of them would rank, for new records like the stored ones."""
    rows = company_sample(4, originals=120, duplicates=0)
    ids = _store(services, COMPANY, rows)
    with services.db.read() as conn:
        stored = repository.get_many(conn, COMPANY, ids)
    rng = random.Random(4)
    for source in rng.sample(rows, 40):
        body = {k: v for k, v in _near_duplicate(source, rng).items() if v is not None}
        expected = check_duplicates(body, stored, score_company, limit=10).to_dict()
        got = services.duplicates.check("Company", body, limit=10).to_dict()
        assert got == expected, body


def _index(services: Services, entity: str) -> set[tuple[str, int]]:
    with services.db.read() as conn:
        rows = conn.exec_driver_sql(
            "SELECT key, record_id FROM match_keys WHERE entity = 'Company'"
        ).fetchall()
    return {(str(key), int(record_id)) for key, record_id in rows}


def test_new_key_families_added_to_an_existing_index(services: Services) -> None:
    """Migration 0010's step: an index of v1 keys (no exact-name, address or parent-domain
    keys) gains exactly the v2 keys; a full rebuild gives the same index."""
    ids = _store(services, COMPANY, company_sample(5, originals=60, duplicates=30))
    expected = _index(services, "Company")
    with services.db.write() as conn:
        for family in ("name", "addr", "domain"):
            conn.execute(
                sa.text("DELETE FROM match_keys WHERE entity = 'Company' AND key LIKE :p"),
                {"p": f"{family}:%"},
            )
    assert len(_index(services, "Company")) < len(expected)
    profile = profile_for("Company")
    with services.db.write() as conn:
        assert match_keys.add_keys(
            conn, COMPANY, profile.fields, profile.blocking_keys, ("name", "addr", "domain")
        ) >= len(ids)
    assert _index(services, "Company") == expected
    with services.db.write() as conn:
        match_keys.add_keys(conn, COMPANY, profile.fields, profile.blocking_keys, ("name",))
    assert _index(services, "Company") == expected  # nothing twice
    assert services.duplicates.reindex("Company") >= len(ids)
    assert _index(services, "Company") == expected


def test_scan_pages_and_batches_change_nothing(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A scan reads the index a page of blocks at a time and the records a batch at a time,
    each in its own transaction: tiny pages and batches give the same pairs."""
    from mspcrm.services import duplicates

    _store(services, COMPANY, company_sample(6, originals=80, duplicates=50))
    expected = {ambiguous: _scanned(services, "Company", ambiguous) for ambiguous in (False, True)}
    assert expected[False] and len(expected[True]) > len(expected[False])
    monkeypatch.setattr(duplicates, "BLOCK_PAGE", 3)
    monkeypatch.setattr(duplicates, "FETCH_BATCH", 4)
    for ambiguous in (False, True):
        assert _scanned(services, "Company", ambiguous) == expected[ambiguous]
