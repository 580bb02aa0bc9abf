"""International records: phones in the record's country, legal forms, public-suffix domains,
nicknames and transliterations, related companies and named differences (pure scorer).

Golden data: ``tests/fixtures/international.json`` (phones of 20+ countries, legal names,
web domains, scorer verdicts) and ``tests/fixtures/nicknames.json``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from mspcrm.domain import audit
from mspcrm.domain.duplicates import (
    AMBIGUOUS,
    MATCHED,
    UNMATCHED,
    blocking_keys_company,
    blocking_keys_contact,
    company_name_key,
    nickname_relation,
    normalise_phone,
    phone_region,
    profile_for,
    registrable_domain,
    score_company,
    score_contact,
    web_domain,
)
from mspcrm.domain.duplicates.legal_forms import LEGAL_FORMS, countries_covered

FIXTURES = Path(__file__).parent / "fixtures"
INTERNATIONAL: dict[str, Any] = json.loads(
    (FIXTURES / "international.json").read_text(encoding="utf-8")
)
NICKNAMES: dict[str, Any] = json.loads((FIXTURES / "nicknames.json").read_text(encoding="utf-8"))
PHONES = INTERNATIONAL["phones"]
NAMES = INTERNATIONAL["legalNames"]
DOMAINS = INTERNATIONAL["domains"]
CASES = INTERNATIONAL["cases"]


def test_the_fixtures_cover_ten_countries_and_more() -> None:
    assert len({p["country"] for p in PHONES}) >= 20
    assert len({n["country"] for n in NAMES}) >= 15
    countries = {
        country
        for case in CASES
        for country in (case["candidate"].get("countryID"), case["existing"].get("countryID"))
        if country
    }
    assert len(countries) >= 12
    assert {c["verdict"] for c in CASES} == {MATCHED, AMBIGUOUS, UNMATCHED}


# --- phones -------------------------------------------------------------------------------


@pytest.mark.parametrize("phone", PHONES, ids=[f"{p['country']} {p['raw']}" for p in PHONES])
def test_phone_read_in_the_records_country(phone: dict[str, Any]) -> None:
    assert normalise_phone(phone["raw"], phone_region(phone["countryID"])) == phone["e164"]


def test_the_issues_examples() -> None:
    # read as US numbers these were "not a phone number" and "+10301234567"
    assert normalise_phone("020 7946 0018", "GB") == "+442079460018"
    assert normalise_phone("030 1234567") is None
    assert normalise_phone("030 1234567", "DE") == "+49301234567"


def test_phone_region_of_a_country_id() -> None:
    assert phone_region(826) == "GB"
    assert phone_region("276") == "DE"
    assert phone_region(None, "GB") == "GB"
    assert phone_region(999, "FR") == "FR"  # no such country
    assert phone_region("Germany", "IT") == "IT"  # not an id


@pytest.mark.parametrize("phone", PHONES, ids=[f"{p['country']} {p['raw']}" for p in PHONES])
def test_the_audit_reads_phones_the_same_way(phone: dict[str, Any]) -> None:
    record = {"id": 1, "phone": phone["raw"], "countryID": phone["countryID"]}
    found = audit.phone_findings("Company", record, "Acme")
    assert bool(found) == (phone["e164"] is None)


def test_the_audit_reads_a_contacts_phone_in_its_companys_country() -> None:
    contact = {"id": 7, "phone": "020 7946 0018", "mobilePhone": "07700 900123"}
    assert audit.phone_findings("Contact", contact, "Ann Lee", company_country=826) == []
    assert audit.phone_findings("Contact", contact, "Ann Lee", default_region="GB") == []
    found = audit.phone_findings("Contact", contact, "Ann Lee")
    assert [f.message for f in found] == [
        "phone '020 7946 0018' is not a phone number (read as a number in US)",
        "mobilePhone '07700 900123' is not a phone number (read as a number in US)",
    ]


def test_company_phones_blocking_keys_follow_the_country() -> None:
    uk = {"companyName": "Thames Data", "phone": "020 7946 0018", "countryID": 826}
    assert "phone:9460018" in blocking_keys_company(uk)
    assert not any(k.startswith("phone:") for k in blocking_keys_company({**uk, "countryID": 840}))
    assert "phone:9460018" in blocking_keys_company({**uk, "countryID": None}, region="GB")


def test_a_contacts_phones_are_read_in_its_companys_country() -> None:
    contact = {"companyID": 5, "firstName": "Ann", "lastName": "Lee", "phone": "020 7946 0018"}
    assert "phone:9460018" in blocking_keys_contact({**contact, "companyCountryID": 826})
    # the company's country comes first, then the contact's own
    both = {**contact, "companyCountryID": 826, "countryID": 840}
    assert "phone:9460018" in blocking_keys_contact(both)
    assert not any(k.startswith("phone:") for k in blocking_keys_contact(contact))


def test_a_profile_for_another_default_region() -> None:
    london = profile_for("Company").for_region("gb")
    a = {"companyName": "Alpha", "phone": "020 7946 0018"}
    b = {"id": 2, "companyName": "Omega", "phone": "+44 20 7946 0018"}
    assert "phone" in london.scorer(a, b).signals
    assert "phone" not in profile_for("Company").scorer(a, b).signals
    assert london.region == "GB" and profile_for("Company").for_region("US") is PROFILES_COMPANY


PROFILES_COMPANY = profile_for("Company")


# --- legal forms --------------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES, ids=[n["raw"] for n in NAMES])
def test_legal_forms_are_dropped(name: dict[str, Any]) -> None:
    assert company_name_key(name["raw"]) == name["key"]


def test_one_table_covers_the_countries_asked_for() -> None:
    wanted = {"US", "GB", "IE", "CA", "AU", "NZ", "DE", "AT", "CH", "FR", "BE", "NL", "LU"}
    wanted |= {"SE", "NO", "DK", "FI", "IS", "ES", "IT", "JP"}
    assert wanted <= countries_covered()


@pytest.mark.parametrize(
    ("name", "fixed"),
    [
        ("Acme gmbh", "Acme GmbH"),
        ("Acme inc", "Acme Inc."),
        ("Nokia OYJ", "Nokia Oyj"),
        ("Fiat spa", "Fiat S.p.A."),
        ("Sony kk", "Sony K.K."),
        ("Liffey Data dac", "Liffey Data DAC"),
        ("Maple Leaf ulc", "Maple Leaf ULC"),
        ("Acme GmbH", None),
        ("Mærsk a/s", None),  # AS in Norway, A/S in Denmark: no single standard
        ("Roma Servizi srl", None),
    ],
)
def test_the_audit_reads_the_same_table(name: str, fixed: str | None) -> None:
    found = [f for f in audit.naming_findings("Company", 1, name, legal=True) if f.rule]
    fixes = [f.fix for f in found if f.rule == "naming.legal-suffix"]
    assert fixes == ([f"rename to {fixed!r}"] if fixed else [])


def test_every_standard_spelling_folds_to_its_key() -> None:
    for key, form in LEGAL_FORMS.items():
        if form.standard is not None:
            assert company_name_key(f"Acme {form.standard}") == "acme", key


# --- web domains --------------------------------------------------------------------------


@pytest.mark.parametrize("domain", DOMAINS, ids=[d["raw"] for d in DOMAINS])
def test_web_domains_through_the_public_suffix_list(domain: dict[str, Any]) -> None:
    assert web_domain(domain["raw"]) == domain["domain"]
    keys = blocking_keys_company({"webAddress": domain["raw"]})
    assert sorted(k.removeprefix("domain:") for k in keys if k.startswith("domain:")) == sorted(
        domain["keys"]
    )


def test_registrable_domain() -> None:
    assert registrable_domain("shop.acme.co.uk") == "acme.co.uk"
    assert registrable_domain("acme.co.uk") == "acme.co.uk"
    assert registrable_domain("co.uk") is None
    assert registrable_domain("com") is None


# --- golden verdicts ----------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_international_golden_case(case: dict[str, Any]) -> None:
    match = profile_for(case["entity"]).scorer(case["candidate"], case["existing"])
    assert (match.verdict, match.score) == (case["verdict"], case["score"]), match.evidence
    assert set(case["signals"]) <= set(match.signals), match.evidence
    assert not set(case["absent"]) & set(match.signals), match.evidence


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_international_golden_case_is_symmetric(case: dict[str, Any]) -> None:
    scorer = profile_for(case["entity"]).scorer
    backward = scorer(
        {**case["existing"], "id": None}, {**case["candidate"], "id": case["existing"]["id"]}
    )
    forward = scorer(case["candidate"], case["existing"])
    assert (backward.score, backward.verdict) == (forward.score, forward.verdict)


@pytest.mark.parametrize(
    "case",
    [c for c in CASES if c["verdict"] != UNMATCHED],
    ids=[c["name"] for c in CASES if c["verdict"] != UNMATCHED],
)
def test_international_pairs_share_a_blocking_key(case: dict[str, Any]) -> None:
    keys = profile_for(case["entity"]).blocking_keys
    assert keys(case["candidate"]) & keys(case["existing"])


# --- nicknames and transliterations -------------------------------------------------------


def _same_company(first_a: str, first_b: str) -> Any:
    return score_contact(
        {"companyID": 1, "firstName": first_a, "lastName": "Smith"},
        {"id": 2, "companyID": 1, "firstName": first_b, "lastName": "Smith"},
    )


@pytest.mark.parametrize("pair", NICKNAMES["related"], ids="/".join)
def test_nicknames_and_spellings_are_one_name(pair: list[str]) -> None:
    match = _same_company(*pair)
    assert match.verdict == AMBIGUOUS and match.score >= 65.0, match.evidence
    assert match.signals[0] in ("person_nickname_same_company", "person_name_same_company")
    assert "different_first_name" not in match.signals


@pytest.mark.parametrize("pair", NICKNAMES["unrelated"], ids="/".join)
def test_other_names_stay_other_names(pair: list[str]) -> None:
    match = _same_company(*pair)
    assert match.verdict == UNMATCHED
    assert "person_nickname_same_company" not in match.signals


def test_bob_smith_and_robert_smith_no_longer_score_zero() -> None:
    match = _same_company("Bob", "Robert")
    assert (match.score, match.verdict) == (65.0, AMBIGUOUS)
    assert match.evidence[0].detail == "'bob' is a nickname of 'robert', both 'smith'"
    assert nickname_relation("liz", "beth") == "'liz' and 'beth' are both nicknames of 'elizabeth'"
    assert nickname_relation("jim", "jimmy") == "'jim' and 'jimmy' are both nicknames of 'james'"
    assert nickname_relation("robert", "william") == ""


def test_a_nickname_at_another_company_or_unknown_company() -> None:
    other = score_contact(
        {"companyID": 1, "firstName": "Bob", "lastName": "Smith"},
        {"id": 2, "companyID": 9, "firstName": "Robert", "lastName": "Smith"},
    )
    assert other.signals == ("person_nickname_other_company", "different_company")
    assert other.verdict == UNMATCHED
    unknown = score_contact(
        {"firstName": "Bob", "lastName": "Smith"},
        {"id": 2, "companyID": 9, "firstName": "Robert", "lastName": "Smith"},
    )
    assert unknown.signals == ("person_nickname",)


def test_transliterated_names_share_a_name_key() -> None:
    a = {"companyID": 3, "firstName": "Jürgen", "lastName": "Müller"}
    b = {"id": 2, "companyID": 3, "firstName": "Juergen", "lastName": "Mueller"}
    assert blocking_keys_contact(a) & blocking_keys_contact(b)


# --- related companies and differences ----------------------------------------------------

ACME = {"id": 1, "companyName": "Acme Corporation", "webAddress": "acme.example.com"}
WEST = {
    "id": 2,
    "companyName": "Acme Corporation - West",
    "webAddress": "west.acme.example.com",
    "parentCompanyID": 1,
}


def test_a_parent_and_its_child_are_related_not_duplicates() -> None:
    match = score_company(WEST, ACME)
    assert match.verdict == UNMATCHED and match.score == 40.0
    assert match.signals[-1] == "parent_company"
    assert match.evidence[-1].detail.startswith("company 1 is the parent of 2")
    backward = score_company(ACME, WEST)
    assert (backward.score, backward.signals[-1]) == (40.0, "child_company")


def test_siblings_are_related() -> None:
    east = {**WEST, "id": 3, "companyName": "Acme Corporation - East", "webAddress": None}
    match = score_company({**WEST, "companyName": "Acme Corporation East"}, east)
    assert "sibling_company" in match.signals and match.verdict == UNMATCHED


def test_related_companies_sharing_domain_phone_and_address_are_duplicates_after_all() -> None:
    place = {"phone": "555-400-1000", "address1": "1 Main St", "postalCode": "02101"}
    match = score_company({**WEST, **place}, {**ACME, **place})
    assert match.verdict == MATCHED
    related = match.evidence[-1]
    assert related.signal == "parent_company" and related.weight == 0.0
    assert "share web domain, phone and address" in related.detail


def test_differences_are_named() -> None:
    match = score_company(
        {"companyName": "Globex", "companyType": 1},
        {"id": 4, "companyName": "Globex", "companyType": 3, "isActive": False},
    )
    assert match.verdict == MATCHED
    details = {e.signal: e.detail for e in match.evidence}
    assert details["different_company_type"] == "Customer vs Prospect"
    assert details["inactive"] == "company 4 inactive"
    contact = score_contact(
        {"companyID": 1, "emailAddress": "ann@contoso.com"},
        {"id": 5, "companyID": 2, "emailAddress": "ann@contoso.com", "isActive": 0},
    )
    assert contact.verdict == AMBIGUOUS
    assert {"different_company", "inactive"} <= set(contact.signals)


def test_no_differences_without_a_likeness() -> None:
    match = score_company(
        {"companyName": "Alpha", "companyType": 1}, {"id": 4, "companyName": "Omega"}
    )
    assert match.evidence == ()


def test_bulk_similar_names_include_every_nickname_and_spelling_pair() -> None:
    """The scan's bulk filter (``similar_name_pairs``) finds at least the pairs that
    ``names_may_be_similar`` accepts one by one, nicknames and spellings included."""
    import itertools
    import random

    from mspcrm.domain.duplicates.contacts import (
        names_may_be_similar,
        prepare_contact_name,
        similar_name_pairs,
    )

    firsts = ["Bob", "Robert", "Rob", "Bill", "William", "Will", "Liz", "Elizabeth", "Beth"]
    firsts += ["Jürgen", "Juergen", "Jurgen", "John", "Jon", "Jim", "James", "Søren", "Soeren"]
    lasts = ["Smith", "Müller", "Mueller", "Muller", "Lee", "Smyth", ""]
    rng = random.Random(15)
    for _ in range(20):
        records = [
            prepare_contact_name({"firstName": rng.choice(firsts), "lastName": rng.choice(lasts)})
            for _ in range(50)
        ]
        wanted = {
            (i, j)
            for i, j in itertools.combinations(range(len(records)), 2)
            if names_may_be_similar(records[i], records[j])
        }
        assert wanted <= similar_name_pairs(records)
