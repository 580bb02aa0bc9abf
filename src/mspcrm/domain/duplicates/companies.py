"""Company duplicate scoring: name, web domain, phone, address and country evidence.

The score is the sum of the evidence weights below, clamped to 0..100. One
exact name key alone reaches "matched"; a typo, a contained name or a shared
web domain alone reach "ambiguous"; a second signal turns those into "matched".
"""

from __future__ import annotations

from typing import Final

from rapidfuzz import fuzz

from mspcrm.domain.duplicates.free_mail import is_free_mail, is_shared_host
from mspcrm.domain.duplicates.model import Evidence, Match, Record, build_match, field_text
from mspcrm.domain.duplicates.model import record_id as _record_id
from mspcrm.domain.duplicates.normalise import (
    DEFAULT_REGION,
    company_name_key,
    consonant_skeleton,
    fold_text,
    normalise_phone,
    postal_key,
    street_key,
    web_domain,
)

W_NAME_EXACT: Final = 85.0  # same key after suffixes, case, accents, punctuation
W_NAME_CONTAINED: Final = (
    60.0  # every word of one name is in the other ("Globex" / "Globex Health")
)
NAME_SIMILAR_MIN_RATIO: Final = 85.0  # token_sort_ratio below this is no evidence
NAME_SIMILAR_FACTOR: Final = 0.7  # weight = 0.7 x ratio: 59.5 .. 70, never "matched" alone
NAME_CONTAINED_MIN_CHARS: Final = 4  # "Co" inside "Co Op Foods" says nothing
W_WEB_DOMAIN: Final = 60.0
W_DIFFERENT_DOMAIN: Final = -25.0
W_PHONE: Final = 35.0
W_ADDRESS: Final = 25.0
W_DIFFERENT_COUNTRY: Final = -20.0

COMPANY_PHONE_FIELDS: Final = ("phone", "alternatePhone1", "alternatePhone2")
COMPANY_FIELDS: Final = (
    "companyName", "webAddress", *COMPANY_PHONE_FIELDS, "address1", "city", "postalCode",
    "countryID",
)  # fmt: skip
# Words too common to be a blocking key of their own.
GENERIC_NAME_TOKENS: Final = frozenset(
    {
        "and", "services", "service", "solutions", "systems", "group", "holdings", "partners",
        "consulting", "technologies", "technology", "international", "global", "enterprises",
        "associates", "management", "industries", "trading", "north", "south", "east", "west",
    }
)  # fmt: skip


def score_company(candidate: Record, existing: Record, *, region: str = DEFAULT_REGION) -> Match:
    """Score how likely ``existing`` is the same company as ``candidate`` (symmetric)."""
    evidence = [
        *_name_evidence(candidate, existing),
        *_domain_evidence(candidate, existing),
        *_phone_evidence(candidate, existing, region),
        *_address_evidence(candidate, existing),
        *_country_evidence(candidate, existing),
    ]
    return build_match(_record_id(existing), evidence)


def _name_evidence(candidate: Record, existing: Record) -> list[Evidence]:
    a = company_name_key(field_text(candidate, "companyName"))
    b = company_name_key(field_text(existing, "companyName"))
    if not a or not b:
        return []
    if a == b:
        return [Evidence("name_exact_key", f"both names normalise to {a!r}", W_NAME_EXACT)]
    if a.replace(" ", "") == b.replace(" ", ""):
        return [Evidence("name_exact_key", f"{a!r} = {b!r} ignoring spaces", W_NAME_EXACT)]
    options = []
    contained = _contained_key(a, b)
    if contained:
        other = b if contained == a else a
        detail = f"every word of {contained!r} is in {other!r}"
        options.append(Evidence("name_contained", detail, W_NAME_CONTAINED))
    ratio = round(fuzz.token_sort_ratio(a, b), 1)
    if ratio >= NAME_SIMILAR_MIN_RATIO:
        detail = f"token_sort_ratio {ratio} between {a!r} and {b!r}"
        options.append(Evidence("name_similar", detail, round(ratio * NAME_SIMILAR_FACTOR, 1)))
    return [max(options, key=lambda item: item.weight)] if options else []


def _contained_key(a: str, b: str) -> str:
    """The key whose words are a strict subset of the other's ('' when neither is)."""
    words_a, words_b = set(a.split()), set(b.split())
    short = a if words_a < words_b else b if words_b < words_a else ""
    return short if len(short.replace(" ", "")) >= NAME_CONTAINED_MIN_CHARS else ""


def _domain_evidence(candidate: Record, existing: Record) -> list[Evidence]:
    a = web_domain(field_text(candidate, "webAddress"))
    b = web_domain(field_text(existing, "webAddress"))
    if not a or not b:
        return []
    free = sorted({domain for domain in (a, b) if is_free_mail(domain)})
    if free:
        detail = f"{', '.join(free)} is free mail, not company identity"
        return [Evidence("web_domain_free_mail_ignored", detail, 0.0)]
    shared = sorted({domain for domain in (a, b) if is_shared_host(domain)})
    if shared:
        detail = f"{', '.join(shared)} hosts unrelated businesses, not company identity"
        return [Evidence("web_domain_shared_host_ignored", detail, 0.0)]
    if a == b:
        return [Evidence("web_domain", a, W_WEB_DOMAIN)]
    if a.endswith(f".{b}") or b.endswith(f".{a}"):
        return [Evidence("web_domain", f"{a} and {b} (subdomain)", W_WEB_DOMAIN)]
    return [Evidence("different_domain", f"{a} vs {b}", W_DIFFERENT_DOMAIN)]


def company_phones(record: Record, region: str = DEFAULT_REGION) -> frozenset[str]:
    """The company's phone numbers in E.164."""
    numbers = (normalise_phone(field_text(record, name), region) for name in COMPANY_PHONE_FIELDS)
    return frozenset(number for number in numbers if number)


def _phone_evidence(candidate: Record, existing: Record, region: str) -> list[Evidence]:
    shared = company_phones(candidate, region) & company_phones(existing, region)
    return [Evidence("phone", ", ".join(sorted(shared)), W_PHONE)] if shared else []


def _address_evidence(candidate: Record, existing: Record) -> list[Evidence]:
    street = street_key(field_text(candidate, "address1"))
    if not street or street != street_key(field_text(existing, "address1")):
        return []
    postal_a = postal_key(field_text(candidate, "postalCode"))
    postal_b = postal_key(field_text(existing, "postalCode"))
    if postal_a and postal_b:
        same_place = _same_postal(postal_a, postal_b)
        where = f"postal code {postal_a}"
    else:
        city = fold_text(field_text(candidate, "city"))
        same_place = bool(city) and city == fold_text(field_text(existing, "city"))
        where = f"city {city}"
    return [Evidence("address", f"street {street}, {where}", W_ADDRESS)] if same_place else []


def _same_postal(a: str, b: str) -> bool:
    """Equal, or a ZIP and its ZIP+4 ('62701' / '627011234')."""
    short, long_ = sorted((a, b), key=len)
    return a == b or (len(short) >= 5 and short.isdigit() and long_.startswith(short))


def _country_evidence(candidate: Record, existing: Record) -> list[Evidence]:
    a, b = field_text(candidate, "countryID"), field_text(existing, "countryID")
    if a is None or b is None or a == b:
        return []
    return [Evidence("different_country", f"countryID {a} vs {b}", W_DIFFERENT_COUNTRY)]


def blocking_keys_company(record: Record, *, region: str = DEFAULT_REGION) -> frozenset[str]:
    """Cheap keys; two companies are only compared in a scan when they share one."""
    keys: set[str] = set()
    name = company_name_key(field_text(record, "companyName"))
    if name:
        keys.add(f"name4:{name.replace(' ', '')[:4]}")
        keys.add(f"skeleton:{consonant_skeleton(name)}")
        keys.update(f"token:{word}" for word in name.split() if _is_blocking_word(word))
    domain = web_domain(field_text(record, "webAddress"))
    if domain and not is_free_mail(domain) and not is_shared_host(domain):
        keys.add(f"domain:{domain}")
    keys.update(f"phone:{number[-7:]}" for number in company_phones(record, region))
    return frozenset(keys)


def _is_blocking_word(word: str) -> bool:
    return len(word) > 3 and word not in GENERIC_NAME_TOKENS
