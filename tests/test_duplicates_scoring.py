"""Duplicate scoring: golden fixtures, normalisers, ranking, verdicts, blocking and clusters.

Pure domain code: no database, no server. The golden cases live in
``tests/fixtures/duplicates.json`` so the API, SDK and CLI suites can replay
the same cases and must agree with these numbers.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from dataclasses import FrozenInstanceError
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mspcrm.domain.duplicates import (
    AMBIGUOUS,
    AMBIGUOUS_MIN_SCORE,
    LEAD_MARGIN,
    MATCHED,
    MATCHED_MIN_SCORE,
    SHARED_WEB_HOSTS,
    UNMATCHED,
    Evidence,
    Match,
    address_key,
    blocking_keys_company,
    blocking_keys_contact,
    build_match,
    check_bounded,
    check_duplicates,
    check_matches,
    cluster,
    company_name_key,
    duplicate_pairs,
    is_free_mail,
    is_shared_host,
    normalise_email,
    normalise_phone,
    overall_verdict,
    person_name_key,
    profile_for,
    rank,
    score_company,
    score_contact,
    verdict_for,
    web_domain,
)
from mspcrm.errors import ValidationError

FIXTURES = Path(__file__).parent / "fixtures" / "duplicates.json"
CASES: list[dict[str, Any]] = json.loads(FIXTURES.read_text(encoding="utf-8"))["cases"]


def _swap(case: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The case's records the other way round (existing as candidate)."""
    candidate = {**case["existing"], "id": case["existing"]["id"] + 10_000}
    existing = {**case["candidate"], "id": case["existing"]["id"]}
    return candidate, existing


# --- golden fixtures ---------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_golden_case(case: dict[str, Any]) -> None:
    match = profile_for(case["entity"]).scorer(case["candidate"], case["existing"])
    assert match.existing_id == case["existing"]["id"]
    assert match.verdict == case["verdict"]
    assert match.score == case["score"]
    assert set(case["signals"]) <= set(match.signals), match.evidence
    assert not set(case["absent"]) & set(match.signals), match.evidence
    assert match.score == round(min(100.0, max(0.0, sum(e.weight for e in match.evidence))), 1)


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_golden_case_is_symmetric(case: dict[str, Any]) -> None:
    scorer = profile_for(case["entity"]).scorer
    forward = scorer(case["candidate"], case["existing"])
    backward = scorer(*_swap(case))
    assert (backward.score, backward.verdict, backward.signals) == (
        forward.score,
        forward.verdict,
        forward.signals,
    )


@pytest.mark.parametrize(
    "case",
    [case for case in CASES if case["verdict"] != UNMATCHED],
    ids=[case["name"] for case in CASES if case["verdict"] != UNMATCHED],
)
def test_golden_pairs_share_a_blocking_key(case: dict[str, Any]) -> None:
    """A whole-table scan only compares blocked pairs: it must not miss any golden duplicate."""
    keys = profile_for(case["entity"]).blocking_keys
    assert keys(case["candidate"]) & keys(case["existing"])


def test_golden_fixture_covers_the_brief() -> None:
    verdicts = {case["name"]: case["verdict"] for case in CASES}
    assert len(CASES) >= 30
    assert {MATCHED, AMBIGUOUS, UNMATCHED} <= set(verdicts.values())
    assert {case["entity"] for case in CASES} == {"Company", "Contact"}


# --- normalisers ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("Acme Inc.", "acme"),
        ("ACME, Incorporated", "acme"),
        ("Acme Corp", "acme"),
        ("Acme Corporation", "acme"),
        ("Acme Co., Ltd.", "acme"),
        ("Acme L.L.C.", "acme"),
        ("Acme Pty Ltd", "acme"),
        ("Acme S.A.", "acme"),
        ("Acme B.V.", "acme"),
        ("Acme A/S", "acme"),
        ("Acme S.p.A.", "acme"),
        ("Müller GmbH", "muller"),
        ("Müller GmbH & Co. KG", "muller"),
        ("Straße AG", "strasse"),
        ("Smith & Co", "smith"),
        ("Johnson & Johnson", "johnson and johnson"),
        ("The Coca-Cola Company", "coca cola"),
        ("I.B.M. Corp", "ibm"),
        ("Bob\u2019s Bikes L.L.C.", "bobs bikes"),
        ("  Globex   Health  ", "globex health"),
        ("Corp Solutions Inc", "corp solutions"),
        ("Inc", "inc"),
        ("Company Inc", "company"),
        ("The", "the"),
        ("", ""),
        (None, ""),
    ],
)
def test_company_name_key(raw: str | None, key: str) -> None:
    assert company_name_key(raw) == key


@pytest.mark.parametrize(
    ("raw", "domain"),
    [
        ("https://www.Acme.com:8443/contact?x=1", "acme.com"),
        ("http://acme.com/", "acme.com"),
        ("www.acme.co.uk", "acme.co.uk"),
        ("www2.acme.com", "acme.com"),
        ("acme.com.", "acme.com"),
        ("portal.acme.com", "portal.acme.com"),
        ("John.Smith@Acme.COM", "acme.com"),
        ("mailto:sales@acme.com", "acme.com"),
        ("n/a", None),
        ("none", None),
        ("192.168.1.10", None),
        ("http://[::1", None),
        ("", None),
        (None, None),
    ],
)
def test_web_domain(raw: str | None, domain: str | None) -> None:
    assert web_domain(raw) == domain


@pytest.mark.parametrize(
    "domain",
    [
        "gmail.com",
        "googlemail.com",
        "outlook.com",
        "hotmail.com",
        "live.com",
        "msn.com",
        "yahoo.com",
        "ymail.com",
        "aol.com",
        "icloud.com",
        "me.com",
        "mac.com",
        "proton.me",
        "protonmail.com",
        "gmx.com",
        "gmx.de",
        "web.de",
        "mail.com",
        "zoho.com",
        "yandex.ru",
        "qq.com",
        "163.com",
        "yahoo.co.uk",
        "yahoo.fr",
        "yahoo.com.au",
        "hotmail.co.uk",
        "hotmail.fr",
        "outlook.de",
        "live.com.au",
        " GMAIL.COM. ",
        "someone@gmail.com",
    ],
)
def test_is_free_mail(domain: str) -> None:
    assert is_free_mail(domain)


@pytest.mark.parametrize(
    "domain", ["acme.com", "gmail.acme.com", "yahoo.example.com", "mail.acme.de", "", None]
)
def test_is_not_free_mail(domain: str | None) -> None:
    assert not is_free_mail(domain)


@pytest.mark.parametrize(
    ("domain", "shared"),
    [
        ("facebook.com", True),
        ("acme.wixsite.com", True),
        ("sites.google.com", True),
        ("acme.com", False),
        ("notfacebook.com", False),
        (None, False),
    ],
)
def test_is_shared_host(domain: str | None, shared: bool) -> None:
    assert is_shared_host(domain) is shared


@pytest.mark.parametrize(
    ("raw", "region", "e164"),
    [
        ("555-123-4567", "US", "+15551234567"),
        ("(555) 123 4567", "US", "+15551234567"),
        ("+1 555 123 4567", "US", "+15551234567"),
        ("+1 555 123 4567", "DE", "+15551234567"),
        ("555.123.4567 x12", "US", "+15551234567"),
        ("020 7946 0018", "GB", "+442079460018"),
        ("030 123456", "de", "+4930123456"),
        ("n/a", "US", None),
        ("12345", "US", None),
        ("", "US", None),
        (None, "US", None),
    ],
)
def test_normalise_phone(raw: str | None, region: str, e164: str | None) -> None:
    assert normalise_phone(raw, region) == e164


def test_normalise_phone_defaults_to_us() -> None:
    assert normalise_phone("555-123-4567") == "+15551234567"


@pytest.mark.parametrize(
    ("raw", "email"),
    [
        ("John.Smith@Acme.COM", "john.smith@acme.com"),
        ("  john.smith+crm@acme.com ", "john.smith@acme.com"),
        ("J.O.H.N+x@GoogleMail.com", "john@gmail.com"),
        ("jane.doe@gmail.com", "janedoe@gmail.com"),
        ("jane.doe@outlook.com", "jane.doe@outlook.com"),
        ("Pat Lee <pat@example.org>", "pat@example.org"),
        ("mailto:pat@example.org", "pat@example.org"),
        ("not an address", None),
        ("+tag@acme.com", None),
        ("pat@localhost", None),
        ("", None),
        (None, None),
    ],
)
def test_normalise_email(raw: str | None, email: str | None) -> None:
    assert normalise_email(raw) == email


@pytest.mark.parametrize(
    ("first", "last", "key"),
    [
        ("John", "Smith", "john smith"),
        ("  JOSÉ ", "García-Márquez", "jose garcia marquez"),
        ("Mary Ann", "O'Neil", "mary ann oneil"),
        ("", "Smith", "smith"),
        (None, None, ""),
    ],
)
def test_person_name_key(first: str | None, last: str | None, key: str) -> None:
    assert person_name_key(first, last) == key


@pytest.mark.parametrize(
    ("address1", "city", "postal", "key"),
    [
        ("742 Evergreen Terrace", "Springfield", "62701", "742evergreenter|springfield|62701"),
        ("742 Evergreen Ter.", "SPRINGFIELD", "62701", "742evergreenter|springfield|62701"),
        ("1 North Main Street, Suite 5", "Dayton", "", "1nmainstste5|dayton|"),
        ("1 N. Main St. Ste 5", "Dayton", None, "1nmainstste5|dayton|"),
        ("Hauptstraße 5", "", "10115", "hauptstr5||10115"),
        ("Hauptstr. 5", None, "10115", "hauptstr5||10115"),
        ("10 Downing St", "London", "SW1A 2AA", "10downingst|london|sw1a2aa"),
        ("742 Evergreen Terrace", "", "", ""),
        ("", "Springfield", "62701", ""),
    ],
)
def test_address_key(address1: str, city: str | None, postal: str | None, key: str) -> None:
    assert address_key(address1, city, postal) == key


@settings(max_examples=200, derandomize=True)
@given(st.text(max_size=40))
def test_company_name_key_is_idempotent_and_never_empties_a_name(name: str) -> None:
    key = company_name_key(name)
    assert company_name_key(key) == key
    if any(ch.isalnum() for ch in name):
        assert key


_NAMES = st.sampled_from(
    ["Acme Inc.", "ACME", "Acme Holdings", "Initech", "Inittech", "", "Globex"]
)
_WEBS = st.sampled_from(["acme.com", "www.acme.com", "gmail.com", "globex.com", "a@yahoo.fr", ""])
_PHONES = st.sampled_from(["555-123-4567", "+1 555 123 4567", "555-000-1111", "", "n/a"])
_FIRSTS = st.sampled_from(["John", "Jon", "J.", "Jane", "Smith", ""])
_LASTS = st.sampled_from(["Smith", "Smyth", "John", "Doe", ""])
_EMAILS = st.sampled_from(
    ["john@acme.com", "John+x@ACME.com", "j.doe@gmail.com", "jdoe@gmail.com", ""]
)
_COMPANIES = st.fixed_dictionaries(
    {
        "companyName": _NAMES,
        "webAddress": _WEBS,
        "phone": _PHONES,
        "countryID": st.sampled_from([1, 2, None]),
    }
)
_CONTACTS = st.fixed_dictionaries(
    {
        "companyID": st.sampled_from([1, 2, None]),
        "firstName": _FIRSTS,
        "lastName": _LASTS,
        "emailAddress": _EMAILS,
        "mobilePhone": _PHONES,
    }
)


@settings(max_examples=300, derandomize=True)
@given(_COMPANIES, _COMPANIES, _CONTACTS, _CONTACTS)
def test_scores_are_symmetric_bounded_and_repeatable(
    company_a: dict[str, Any],
    company_b: dict[str, Any],
    contact_a: dict[str, Any],
    contact_b: dict[str, Any],
) -> None:
    for scorer, a, b in (
        (score_company, company_a, company_b),
        (score_contact, contact_a, contact_b),
    ):
        forward, backward = scorer(a, {**b, "id": 1}), scorer(b, {**a, "id": 1})
        assert (forward.score, forward.verdict, forward.signals) == (
            backward.score,
            backward.verdict,
            backward.signals,
        )
        assert 0.0 <= forward.score <= 100.0
        assert scorer(a, {**b, "id": 1}) == forward


# --- scores, verdicts and the result shapes ------------------------------------------------


def test_thresholds_and_verdicts() -> None:
    assert (MATCHED_MIN_SCORE, AMBIGUOUS_MIN_SCORE, LEAD_MARGIN) == (85.0, 60.0, 10.0)
    assert verdict_for(100) == verdict_for(85) == MATCHED
    assert verdict_for(84.9) == verdict_for(60) == AMBIGUOUS
    assert verdict_for(59.9) == verdict_for(0) == UNMATCHED


def test_build_match_clamps_and_rounds() -> None:
    high = build_match(1, [Evidence("a", "", 85.0), Evidence("b", "", 60.0)])
    low = build_match(2, [Evidence("a", "", 10.0), Evidence("b", "", -25.0)])
    odd = build_match(3, [Evidence("a", "", 65.31), Evidence("b", "", 0.0)])
    assert (high.score, high.verdict) == (100.0, MATCHED)
    assert (low.score, low.verdict) == (0.0, UNMATCHED)
    assert odd.score == 65.3
    assert odd.signals == ("a", "b")


def test_evidence_order_is_fixed() -> None:
    candidate = {
        "companyName": "Initech",
        "webAddress": "initech.com",
        "phone": "555-123-4567",
        "address1": "1 Main St",
        "postalCode": "10001",
        "countryID": 1,
    }
    existing = {**candidate, "id": 7, "companyName": "Inittech", "countryID": 2}
    signals = score_company(candidate, existing).signals
    assert signals == ("name_similar", "web_domain", "phone", "address", "different_country")


def test_match_and_evidence_are_frozen_and_serialisable() -> None:
    match = score_company({"companyName": "Acme Inc."}, {"id": 5, "companyName": "ACME"})
    with pytest.raises(FrozenInstanceError):
        match.score = 1.0  # type: ignore[misc]
    body = match.to_dict()
    assert body == {
        "id": 5,
        "score": 85.0,
        "verdict": "matched",
        "evidence": [
            {"signal": "name_exact_key", "detail": "both names normalise to 'acme'", "weight": 85.0}
        ],
    }
    assert json.loads(json.dumps(body)) == body


def test_phone_region_is_a_keyword() -> None:
    london = partial(score_company, region="GB")
    a = {"companyName": "Alpha", "phone": "020 7946 0018"}
    b = {"id": 1, "companyName": "Omega", "phone": "+44 20 7946 0018"}
    assert "phone" in london(a, b).signals
    assert "phone" not in score_company(a, b).signals


def test_string_ids_are_integers_and_junk_ids_are_refused() -> None:
    assert score_contact({}, {"id": "42"}).existing_id == 42
    assert score_contact({}, {}).existing_id is None
    with pytest.raises(ValidationError, match="not an integer"):
        score_contact({}, {"id": "forty-two"})
    with pytest.raises(ValidationError, match="not an integer"):
        score_contact({}, {"id": True})


def test_empty_records_score_zero() -> None:
    assert score_company({}, {"id": 1}) == Match(1, 0.0, UNMATCHED, ())
    assert score_contact({"firstName": None}, {"id": 1, "emailAddress": "  "}).score == 0.0


def test_profiles() -> None:
    assert profile_for("company").scorer is score_company
    assert profile_for("Contact").blocking_keys is blocking_keys_contact
    assert {"id", "companyName", "webAddress", "phone"} <= set(profile_for("Company").fields)
    with pytest.raises(ValidationError, match="Opportunity"):
        profile_for("Opportunity")


# --- rank, overall verdict, check ----------------------------------------------------------

EXISTING_COMPANIES = [
    {"id": 1, "companyName": "Acme Incorporated", "webAddress": "acme.com"},
    {"id": 2, "companyName": "Acme Holdings", "webAddress": "acmeholdings.com"},
    {"id": 3, "companyName": "ACME Inc", "phone": "555-123-4567"},
    {"id": 4, "companyName": "Globex"},
    {"id": 5, "companyName": "Acme", "webAddress": "acme.com"},
    {"id": 6, "companyName": "Springfield Dental"},
    {"id": 7, "companyName": "Acmee", "webAddress": "acme.com"},
]


def test_rank_orders_by_score_then_id_and_drops_zero_scores() -> None:
    matches = rank(
        {"companyName": "Acme Corp", "webAddress": "acme.com"}, EXISTING_COMPANIES, score_company
    )
    assert [(m.existing_id, m.score, m.verdict) for m in matches] == [
        (1, 100.0, MATCHED),
        (5, 100.0, MATCHED),
        (7, 100.0, MATCHED),
        (3, 85.0, MATCHED),
        (2, 35.0, UNMATCHED),
    ]
    assert all(m.score > 0 for m in matches)


def test_rank_skips_the_candidate_itself_and_honours_limit() -> None:
    candidate = {**EXISTING_COMPANIES[2], "id": "3"}
    ids = [m.existing_id for m in rank(candidate, EXISTING_COMPANIES, score_company)]
    assert 3 not in ids
    assert ids[:2] == [1, 5]
    assert len(rank(candidate, EXISTING_COMPANIES, score_company, limit=2)) == 2


def test_rank_is_deterministic_under_shuffling() -> None:
    candidate = {"companyName": "Acme", "phone": "(555) 123 4567", "webAddress": "www.acme.com"}
    expected = [m.to_dict() for m in rank(candidate, EXISTING_COMPANIES, score_company)]
    for seed in range(20):
        shuffled = EXISTING_COMPANIES[:]
        random.Random(seed).shuffle(shuffled)
        assert [m.to_dict() for m in rank(candidate, shuffled, score_company)] == expected


def _m(existing_id: int, score: float) -> Match:
    return Match(existing_id, score, verdict_for(score), ())


@pytest.mark.parametrize(
    ("scores", "verdict"),
    [
        ([], UNMATCHED),
        ([40.0], UNMATCHED),
        ([40.0, 30.0], UNMATCHED),
        ([85.0], MATCHED),
        ([100.0, 70.0], MATCHED),
        ([100.0, 90.0], AMBIGUOUS),  # two matched
        ([90.0, 84.0], AMBIGUOUS),  # leads by less than LEAD_MARGIN
        ([100.0, 84.0], MATCHED),
        ([94.9, 84.9], MATCHED),  # leads by exactly LEAD_MARGIN
        ([70.0], AMBIGUOUS),
        ([70.0, 69.0], AMBIGUOUS),
        ([30.0, 100.0, 70.0], MATCHED),  # order of the input does not matter
    ],
)
def test_overall_verdict(scores: list[float], verdict: str) -> None:
    matches = [_m(i, score) for i, score in enumerate(scores, start=1)]
    assert overall_verdict(matches) == verdict


def test_check_duplicates_shapes_the_answer() -> None:
    check = check_duplicates(
        {"companyName": "Globex Corporation"}, EXISTING_COMPANIES, score_company
    )
    assert check.verdict == MATCHED
    assert [m.existing_id for m in check.matches] == [4]
    crowded = check_duplicates({"companyName": "Acme"}, EXISTING_COMPANIES, score_company, limit=1)
    assert crowded.verdict == AMBIGUOUS  # four exact "acme" keys: no single winner
    assert len(crowded.matches) == 1
    assert crowded.to_dict()["matches"][0]["id"] == 1


def test_check_duplicates_for_contacts_by_email() -> None:
    existing = [
        {
            "id": 11,
            "companyID": 1,
            "firstName": "John",
            "lastName": "Smith",
            "emailAddress": "john@acme.com",
        },
        {"id": 12, "companyID": 1, "firstName": "John", "lastName": "Smith"},
        {"id": 13, "companyID": 2, "firstName": "John", "lastName": "Smith"},
    ]
    candidate = {
        "companyID": 1,
        "firstName": "john",
        "lastName": "SMITH",
        "emailAddress": "John+x@Acme.com",
    }
    check = check_duplicates(candidate, existing, score_contact)
    assert [(m.existing_id, m.verdict) for m in check.matches] == [
        (11, MATCHED),
        (12, AMBIGUOUS),
        (13, UNMATCHED),
    ]
    assert check.verdict == MATCHED  # 100 leads 70 by 30


# --- blocking keys -------------------------------------------------------------------------


def test_blocking_keys_company() -> None:
    keys = blocking_keys_company(
        {
            "companyName": "Springfield Plumbing Services LLC",
            "webAddress": "https://www.spl.com",
            "phone": "555-123-4567",
        }
    )
    assert keys == {
        "name:springfieldplumbingservices",
        "name4:spri",
        "skeleton:sprn",
        "token:springfield",
        "token:plumbing",
        "domain:spl.com",
        "phone:1234567",
    }


def test_blocking_keys_company_ignore_free_mail_and_short_tokens() -> None:
    keys = blocking_keys_company({"companyName": "A&B Co", "webAddress": "ab@gmail.com"})
    assert keys == {"name:aandb", "name4:aand", "skeleton:andb"}
    assert blocking_keys_company({}) == frozenset()


def test_blocking_keys_company_parent_domains_and_addresses() -> None:
    keys = blocking_keys_company(
        {
            "webAddress": "https://shop.eu.acme.co.uk/x",
            "address1": "12 Main Street",
            "city": "Springfield",
            "postalCode": "62701-1234",
        }
    )
    assert keys == {
        "domain:shop.eu.acme.co.uk",
        "domain:eu.acme.co.uk",
        "domain:acme.co.uk",  # not co.uk: a registry, not a parent company
        "addr:12mainst|62701",  # a ZIP+4 blocks as its ZIP
        "addr:12mainst|city:springfield",
    }
    shared = blocking_keys_company({"webAddress": "shop.wixsite.com"})
    assert shared == frozenset()


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ({"webAddress": "acme.com"}, {"webAddress": "https://shop.acme.com/"}),
        (
            {"address1": "1 Main St", "postalCode": "62701"},
            {"address1": "1 Main Street", "postalCode": "62701-0001"},
        ),
        (
            {"address1": "1 Main St", "city": "Springfield", "postalCode": "62701"},
            {"address1": "1 main st.", "city": "SPRINGFIELD"},
        ),
        ({"phone": "+1 555 123 4567"}, {"alternatePhone2": "(555) 123-4567"}),
        ({"companyName": "Acme Corp"}, {"companyName": "ACME Incorporated"}),
    ],
)
def test_evidence_of_identity_means_a_shared_identity_key(
    a: dict[str, Any], b: dict[str, Any]
) -> None:
    """What a matched pair needs besides a name (domain, phone, address) or an exact name
    always shares a key of an identity family: the scan for matched pairs reads only those."""
    profile = profile_for("Company")
    assert any(e.weight > 0 for e in score_company(a, b).evidence)
    shared = blocking_keys_company(a) & blocking_keys_company(b)
    assert any(profile.is_identity_key(key) for key in shared)


def test_blocking_keys_company_ignore_shared_hosts() -> None:
    keys = blocking_keys_company({"companyName": "Bob", "webAddress": "facebook.com/bob"})
    assert not any(key.startswith("domain:") for key in keys)


def test_blocking_keys_contact() -> None:
    keys = blocking_keys_contact(
        {
            "companyID": 10,
            "firstName": "John",
            "lastName": "Smith",
            "emailAddress": "John.Smith+x@Acme.com",
            "emailAddress2": "john.smith@gmail.com",
            "mobilePhone": "555-867-5309",
        }
    )
    assert keys == {
        "email:john.smith@acme.com",
        "email_domain:acme.com",
        "email:johnsmith@gmail.com",
        "name:john smith",
        "company_last4:10:smit",
        "phone:8675309",
    }


def test_blocking_keys_contact_swapped_names_collide() -> None:
    a = blocking_keys_contact({"firstName": "Smith", "lastName": "John"})
    b = blocking_keys_contact({"firstName": "John", "lastName": "Smith"})
    assert a == b == {"name:john smith"}


# --- cluster -------------------------------------------------------------------------------

COMPANY_TABLE = [
    {"id": 1, "companyName": "Acme Inc.", "webAddress": "acme.com"},
    {"id": 2, "companyName": "ACME, Incorporated"},
    {"id": 3, "companyName": "Acme Corporation", "webAddress": "https://www.acme.com"},
    {"id": 4, "companyName": "Initech", "phone": "555-123-4567"},
    {"id": 5, "companyName": "Inittech", "phone": "(555) 123 4567"},
    {"id": 6, "companyName": "Globex"},
    {"id": 7, "companyName": "Globex Health"},
    {"id": 8, "companyName": "Müller GmbH"},
    {"id": 9, "companyName": "Muller"},
    {"id": 10, "companyName": "Mueller AG"},
    {"id": 11, "companyName": "Springfield Plumbing"},
    {"id": 12, "companyName": "Springfield Dental"},
    {"id": 13, "companyName": "Bob's Bikes", "webAddress": "bobsbikes@gmail.com"},
    {"id": 14, "companyName": "Sue's Cakes", "webAddress": "sue.cakes@gmail.com"},
    {"id": 15, "companyName": "Vandelay Industries", "phone": "555-999-0000"},
    {"id": 16, "companyName": "Kramerica", "phone": "555-999-0000"},
    {"id": 17, "companyName": "Wayne Enterprises", "webAddress": "wayne.com"},
    {"id": 18, "companyName": "Stark Industries", "webAddress": "stark.com"},
    {"id": 19, "companyName": "Umbrella Corp", "phone": "555-111-2222"},
    {"id": 20, "companyName": "Cyberdyne Systems", "phone": "555-333-4444"},
    {"id": 21, "companyName": "Wayne Enterprises Ltd", "webAddress": "wayne.co.uk"},
]


def test_cluster_companies_finds_the_known_groups() -> None:
    clusters = cluster(COMPANY_TABLE, score_company, blocking_keys_company)
    assert [(c.ids, c.verdict) for c in clusters] == [
        ((1, 2, 3), MATCHED),
        ((4, 5), MATCHED),
        ((6, 7), AMBIGUOUS),
        ((8, 9, 10), AMBIGUOUS),
        ((17, 21), AMBIGUOUS),
    ]
    first = clusters[0]
    assert [(p.left_id, p.right_id, p.match.score) for p in first.pairs] == [
        (1, 2, 85.0),
        (1, 3, 100.0),
        (2, 3, 85.0),
    ]
    assert all(p.left_id < p.right_id for c in clusters for p in c.pairs)
    assert "different_domain" in clusters[-1].pairs[0].match.signals


def test_cluster_matched_only() -> None:
    clusters = cluster(COMPANY_TABLE, score_company, blocking_keys_company, include_ambiguous=False)
    assert [c.ids for c in clusters] == [(1, 2, 3), (4, 5), (8, 9)]


def test_duplicate_pairs_lists_the_links() -> None:
    pairs = duplicate_pairs(COMPANY_TABLE, score_company, blocking_keys_company)
    assert [(p.left_id, p.right_id, p.match.verdict) for p in pairs] == [
        (1, 2, MATCHED),
        (1, 3, MATCHED),
        (2, 3, MATCHED),
        (4, 5, MATCHED),
        (6, 7, AMBIGUOUS),
        (8, 9, MATCHED),
        (8, 10, AMBIGUOUS),
        (9, 10, AMBIGUOUS),
        (17, 21, AMBIGUOUS),
    ]


def test_cluster_ambiguous_pairs_chain() -> None:
    rows = [
        {"id": 1, "companyName": "Acme Dental"},
        {"id": 2, "companyName": "Acme"},
        {"id": 3, "companyName": "Acme Plumbing"},
    ]
    assert [c.ids for c in cluster(rows, score_company, blocking_keys_company)] == [(1, 2, 3)]
    assert cluster(rows, score_company, blocking_keys_company, include_ambiguous=False) == []


def test_cluster_is_deterministic_under_shuffling() -> None:
    expected = [c.to_dict() for c in cluster(COMPANY_TABLE, score_company, blocking_keys_company)]
    for seed in range(10):
        shuffled = COMPANY_TABLE[:]
        random.Random(seed).shuffle(shuffled)
        got = [c.to_dict() for c in cluster(shuffled, score_company, blocking_keys_company)]
        assert got == expected


def test_cluster_max_block_size_skips_crowded_keys() -> None:
    """Six tenants share a business park's switchboard. Two of them also share a street
    address: they still meet (through the address) when the switchboard is too crowded to
    compare everyone. Two others share only the number (and names of short or generic
    words, no key of their own): a crowded number is all that joined them."""
    names = [
        "AB Systems",
        "AB Cloud Systems",
        "Delta Foods",
        "Sigma Labs",
        "Kappa Print",
        "Zeta Tools",
    ]
    rows = [
        {"id": i, "companyName": name, "phone": "555-000-1111"} for i, name in enumerate(names, 1)
    ]
    for row in rows[2:4]:
        row.update(address1="1 Park Plaza", postalCode="10001")
    complete = cluster(rows, score_company, blocking_keys_company)
    assert [(c.ids, c.verdict, c.pairs[0].match.signals) for c in complete] == [
        ((1, 2), MATCHED, ("name_contained", "phone")),
        ((3, 4), AMBIGUOUS, ("phone", "address")),
    ]
    assert cluster(rows, score_company, blocking_keys_company, max_block_size=6) == complete
    assert cluster(rows, score_company, blocking_keys_company, max_block_size=5) == complete[1:]


def test_cluster_contacts() -> None:
    people = [
        {
            "id": 1,
            "companyID": 1,
            "firstName": "John",
            "lastName": "Smith",
            "emailAddress": "john.smith@acme.com",
        },
        {
            "id": 2,
            "companyID": 1,
            "firstName": "John",
            "lastName": "Smith",
            "emailAddress": "John.Smith+crm@ACME.com",
        },
        {
            "id": 3,
            "companyID": 1,
            "firstName": "Jane",
            "lastName": "Doe",
            "emailAddress": "jane.doe@gmail.com",
        },
        {
            "id": 4,
            "companyID": 2,
            "firstName": "Jane",
            "lastName": "Doe",
            "emailAddress": "janedoe@googlemail.com",
        },
        {
            "id": 5,
            "companyID": 1,
            "firstName": "Alice",
            "lastName": "Jones",
            "emailAddress": "alice@gmail.com",
        },
        {
            "id": 6,
            "companyID": 1,
            "firstName": "Bob",
            "lastName": "Brown",
            "emailAddress": "bob@gmail.com",
        },
        {"id": 7, "companyID": 3, "firstName": "John", "lastName": "Smith"},
        {"id": 8, "companyID": 1, "firstName": "Maria", "lastName": "Garcia"},
        {"id": 9, "companyID": 1, "firstName": "María", "lastName": "García"},
    ]
    clusters = cluster(people, score_contact, blocking_keys_contact)
    assert [(c.ids, c.verdict) for c in clusters] == [
        ((1, 2), MATCHED),
        ((3, 4), MATCHED),
        ((8, 9), AMBIGUOUS),
    ]


def test_cluster_refuses_records_without_unique_ids() -> None:
    with pytest.raises(ValidationError, match="needs an id"):
        cluster([{"companyName": "Acme"}], score_company, blocking_keys_company)
    with pytest.raises(ValidationError, match="twice"):
        cluster([{"id": 1}, {"id": "1"}], score_company, blocking_keys_company)


def test_cluster_to_dict() -> None:
    body = cluster(COMPANY_TABLE[3:5], score_company, blocking_keys_company)[0].to_dict()
    assert body["ids"] == [4, 5]
    assert body["verdict"] == MATCHED
    assert body["pairs"][0]["leftId"] == 4
    assert body["pairs"][0]["rightId"] == 5
    assert [e["signal"] for e in body["pairs"][0]["evidence"]] == ["name_similar", "phone"]


# --- purity and determinism across processes -------------------------------------------------

_SCRIPT = """
import json, sys
from mspcrm.domain.duplicates import blocking_keys_company, cluster, score_company
rows = json.loads(sys.stdin.read())
print(json.dumps([c.to_dict() for c in cluster(rows, score_company, blocking_keys_company)]))
banned = ("sqlalchemy", "starlette", "httpx", "click", "uvicorn", "alembic", "psycopg")
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in banned)))
"""


def test_same_output_under_any_hash_seed_and_no_framework_imports() -> None:
    outputs = []
    for seed in ("0", "1", "12345"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run(
            [sys.executable, "-c", _SCRIPT],
            input=json.dumps(COMPANY_TABLE),
            capture_output=True,
            text=True,
            env=env,
            check=True,
        )
        clusters, frameworks = done.stdout.splitlines()
        assert json.loads(frameworks) == []
        outputs.append(clusters)
    assert len(set(outputs)) == 1


# --- fast paths: the same answers as the libraries they stand in for -------------------------

_SEPARATORS = st.sampled_from(["", " ", "-", ".", "  ", "/", "(", ")", "x", "\u2013"])


@settings(max_examples=400, deadline=None)
@given(
    prefix=st.sampled_from(["", "+1", "1", "+1 ", "1-", "+", "+44 ", "011 ", "(", "+1("]),
    area=st.integers(0, 999),
    exchange=st.integers(0, 999),
    line=st.integers(0, 9999),
    brackets=st.booleans(),
    first=_SEPARATORS,
    second=_SEPARATORS,
    tail=st.sampled_from(["", "1", " x12", " ", "\uff11"]),
)
def test_phone_fast_path_agrees_with_phonenumbers(
    prefix: str,
    area: int,
    exchange: int,
    line: int,
    brackets: bool,
    first: str,
    second: str,
    tail: str,
) -> None:
    from mspcrm.domain.duplicates.normalise import _phone_e164

    code = f"({area:03d})" if brackets else f"{area:03d}"
    text = f"{prefix}{code}{first}{exchange:03d}{second}{line:04d}{tail}"
    assert normalise_phone(text) == _phone_e164(text.strip(), "US")


_URL_PARTS = st.sampled_from(
    ["http://", "https://", "HTTP://", "ftp://", "www.", "a-b", "x.com", ".co.uk", "/", "?q",
     "#f", ":8080", "@", "user@", ".", "..", "-", "[::1]", "\u00e9", " ", "\t", "mailto:", "1.2"]
)  # fmt: skip


@settings(max_examples=600, deadline=None)
@given(st.lists(_URL_PARTS, min_size=1, max_size=6).map("".join))
def test_web_domain_fast_path_agrees_with_urlsplit(text: str) -> None:
    from urllib.parse import urlsplit

    from mspcrm.domain.duplicates.normalise import _url_host

    lowered = text.strip().lower()
    try:
        expected = urlsplit(lowered if "://" in lowered else f"//{lowered}").hostname or ""
    except ValueError:
        expected = ""
    assert _url_host(lowered) == expected


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=st.characters(max_codepoint=0x2FF), max_size=30))
def test_fold_ascii_shortcut_agrees_with_the_unicode_path(text: str) -> None:
    import unicodedata

    from mspcrm.domain.duplicates import normalise

    decomposed = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", text).casefold())
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    plain = normalise._APOSTROPHES.sub("", plain).replace("&", " and ")
    words = normalise._join_initials(normalise._NON_WORD.sub(" ", plain).split())
    assert normalise._fold.__wrapped__(text) == " ".join(words)


@pytest.mark.parametrize(
    "host",
    ["facebook.com", "www.facebook.com", "a.b.wixsite.com", "x..wix.com", "wix.com.", "WIX.COM",
     "notwix.com", "sites.google.com", "a.sites.google.com", "google.com.au", "com", ""],
)  # fmt: skip
def test_is_shared_host_is_a_suffix_test(host: str) -> None:
    plain = host.strip().lower().rstrip(".")
    expected = any(plain == s or plain.endswith(f".{s}") for s in SHARED_WEB_HOSTS)
    assert is_shared_host(host) == expected


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 100), st.integers(0, 30)), max_size=40),
    st.integers(1, 12),
)
def test_check_bounded_equals_scoring_everything(
    scores_and_slack: list[tuple[int, int]], limit: int
) -> None:
    """Scoring by bound, and stopping early, gives check_matches' answer on all matches."""
    matches = [_m(n, float(score)) for n, (score, _) in enumerate(scores_and_slack, start=1)]
    scored: list[int] = []

    def later(match: Match) -> Any:
        def score() -> Match:
            scored.append(match.existing_id or 0)
            return match

        return score

    candidates = [
        (m.score + slack, m.existing_id or 0, later(m))
        for m, (_, slack) in zip(matches, scores_and_slack, strict=True)
    ]
    assert check_bounded(candidates, limit=limit) == check_matches(matches, limit=limit)
    if len(matches) > 30:
        assert len(scored) <= len(matches)
