"""Company duplicate scoring: name, web domain, phone, address and country evidence.

The score is the sum of the evidence weights below, clamped to 0..100. One
exact name key alone reaches "matched"; a typo, a contained name or a shared
web domain alone reach "ambiguous"; a second signal turns those into "matched".
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any, Final, NamedTuple, Protocol

import numpy as np
from rapidfuzz import fuzz, process

from mspcrm.domain.duplicates.free_mail import is_free_mail, is_shared_host
from mspcrm.domain.duplicates.model import (
    Evidence,
    Match,
    Record,
    as_record_id,
    build_match,
    field_text,
    is_inactive,
)
from mspcrm.domain.duplicates.normalise import (
    DEFAULT_REGION,
    company_name_key,
    consonant_skeleton,
    domain_and_parents,
    fold_text,
    format_phone,
    is_public_suffix,
    normalise_phone,
    postal_key,
    street_key,
    web_domain,
)
from mspcrm.domain.duplicates.regions import phone_region

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
# A parent and its child, or two children of one parent, are related companies, not
# duplicates: their score is held below "ambiguous" unless they share the web domain, a
# phone number and the address (then the evidence says they are one company entered twice).
RELATED_MAX_SCORE: Final = 40.0
# Below this token_sort_ratio two names cannot be "name_similar" (the ratio is rounded to
# one decimal before the NAME_SIMILAR_MIN_RATIO test: 84.95 may still count).
_SIMILAR_CUTOFF: Final = NAME_SIMILAR_MIN_RATIO - 0.1

COMPANY_PHONE_FIELDS: Final = ("phone", "alternatePhone1", "alternatePhone2")
COMPANY_FIELDS: Final = (
    "companyName", "webAddress", *COMPANY_PHONE_FIELDS, "address1", "city", "postalCode",
    "countryID",
)  # fmt: skip
# Read besides: how two companies relate (the hierarchy) and differ (type, active state).
COMPANY_CONTEXT_FIELDS: Final = ("parentCompanyID", "companyType", "isActive")
# Company.companyType's labels (the static picklist), for naming a difference.
COMPANY_TYPES: Final = {
    1: "Customer", 2: "Lead", 3: "Prospect", 4: "Dead", 5: "Suspect", 6: "Vendor",
    7: "Cancelation", 8: "Partner",
}  # fmt: skip
# Words too common to be a blocking key of their own.
GENERIC_NAME_TOKENS: Final = frozenset(
    {
        "and", "services", "service", "solutions", "systems", "group", "holdings", "partners",
        "consulting", "technologies", "technology", "international", "global", "enterprises",
        "associates", "management", "industries", "trading", "north", "south", "east", "west",
    }
)  # fmt: skip
# Key families (the text before ':') that every pair scoring "matched" shares one of: the
# exact name key (85), or, for any other route to 85, the web domain (60 + something), a
# phone number (35 + a name of 59.5 or more), or the address (25 + a name of 60 or more).
# A scan for matched pairs compares only records sharing one of these; the name keys
# (token, name4, skeleton) add the pairs that only a similar name joins (ambiguous).
IDENTITY_ORDER: Final = ("name", "domain", "phone", "addr")  # a pair's owner block: see blocks.py
IDENTITY_FAMILIES: Final = frozenset(IDENTITY_ORDER)
# The most each shared identity key adds besides the names' own evidence (a shared name key
# is name evidence): a pair whose names say nothing scores at most the sum of these.
IDENTITY_WEIGHTS: Final = {"name": 0.0, "domain": W_WEB_DOMAIN, "phone": W_PHONE, "addr": W_ADDRESS}
KEY_FAMILIES: Final = IDENTITY_FAMILIES | {"token", "name4", "skeleton"}


class CompanyFeatures(NamedTuple):
    """A company's comparable values, normalised once (``prepare_company``), compared often."""

    id: Any  # the record's id as given; validated when scored (``as_record_id``)
    name: str  # company_name_key(companyName)
    compact: str  # the name key without spaces
    words: frozenset[str]
    domain: str | None  # web_domain(webAddress)
    free_mail: bool
    shared_host: bool  # or a public suffix ('co.uk'): nobody's own domain
    phones: frozenset[str]  # E.164
    street: str
    postal: str
    city: str
    country: str | None
    parent: int | None  # parentCompanyID
    company_type: str | None
    inactive: bool  # isActive given and false


class CompanyName(NamedTuple):
    """A company's name alone, normalised (what ``names_may_be_similar`` reads)."""

    name: str
    compact: str
    words: frozenset[str]


class _Named(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def compact(self) -> str: ...
    @property
    def words(self) -> frozenset[str]: ...


def prepare_company_name(record: Record) -> CompanyName:
    """The name part of ``prepare_company`` (cheaper, for pairs that may end there)."""
    name = company_name_key(field_text(record, "companyName"))
    return CompanyName(name, name.replace(" ", ""), frozenset(name.split()))


def prepare_company(record: Record, *, region: str = DEFAULT_REGION) -> CompanyFeatures:
    """Everything ``score_company`` and ``blocking_keys_company`` read, normalised once;
    phones are read in the company's country, else in ``region`` (the installation's)."""
    name = company_name_key(field_text(record, "companyName"))
    domain = web_domain(field_text(record, "webAddress"))
    return CompanyFeatures(
        id=record.get("id"),
        name=name,
        compact=name.replace(" ", ""),
        words=frozenset(name.split()),
        domain=domain,
        free_mail=is_free_mail(domain),
        shared_host=is_shared_host(domain) or is_public_suffix(domain),
        phones=company_phones(record, phone_region(record.get("countryID"), region)),
        street=street_key(field_text(record, "address1")),
        postal=postal_key(field_text(record, "postalCode")),
        city=fold_text(field_text(record, "city")),
        country=field_text(record, "countryID"),
        parent=_id_or_none(record.get("parentCompanyID")),
        company_type=field_text(record, "companyType"),
        inactive=is_inactive(record.get("isActive")),
    )


def _id_or_none(value: Any) -> int | None:
    try:
        return None if value is None or isinstance(value, bool) else int(value)
    except (TypeError, ValueError):
        return None


def score_company(candidate: Record, existing: Record, *, region: str = DEFAULT_REGION) -> Match:
    """Score how likely ``existing`` is the same company as ``candidate`` (symmetric)."""
    return score_company_features(
        prepare_company(candidate, region=region), prepare_company(existing, region=region)
    )


def score_company_features(candidate: CompanyFeatures, existing: CompanyFeatures) -> Match:
    """``score_company`` on prepared records: the same score, verdict and evidence."""
    evidence = [
        *_name_evidence(candidate, existing),
        *_domain_evidence(candidate, existing),
        *_phone_evidence(candidate, existing),
        *_address_evidence(candidate, existing),
        *_country_evidence(candidate, existing),
    ]
    if any(item.weight > 0 for item in evidence):
        evidence += _relationship_evidence(candidate, existing, evidence)
        evidence += _differences(candidate, existing)
    return build_match(as_record_id(existing.id), evidence)


def relationship(candidate: CompanyFeatures, existing: CompanyFeatures) -> str:
    """How the hierarchy relates two companies: 'parent' (``existing`` is the candidate's
    parent), 'child', 'sibling' (one parent), or '' (none known)."""
    a, b = candidate.parent, existing.parent
    a_id, b_id = _id_or_none(candidate.id), _id_or_none(existing.id)
    if a is not None and a == b_id:
        return "parent"
    if b is not None and b == a_id:
        return "child"
    if a is not None and a == b:
        return "sibling"
    return ""


_RELATION_WORDS: Final = {
    "parent": "company {existing} is the parent of {candidate}",
    "child": "company {existing} is a child of {candidate}",
    "sibling": "companies {candidate} and {existing} are children of company {parent}",
}
_SAME_PLACE: Final = frozenset({"web_domain", "phone", "address"})


def _relationship_evidence(
    candidate: CompanyFeatures, existing: CompanyFeatures, evidence: list[Evidence]
) -> list[Evidence]:
    """Related companies are not duplicates: their score is held at ``RELATED_MAX_SCORE``
    unless they share the web domain, a phone and the address."""
    relation = relationship(candidate, existing)
    if not relation:
        return []
    detail = _RELATION_WORDS[relation].format(
        candidate=candidate.id if candidate.id is not None else "the candidate",
        existing=existing.id,
        parent=candidate.parent,
    )
    if {item.signal for item in evidence} >= _SAME_PLACE:
        detail += "; but they share web domain, phone and address: one company entered twice?"
        return [Evidence(f"{relation}_company", detail, 0.0)]
    total = sum(item.weight for item in evidence)
    held = min(0.0, RELATED_MAX_SCORE - total)
    return [Evidence(f"{relation}_company", f"{detail}: related, not a duplicate", held)]


def _differences(candidate: CompanyFeatures, existing: CompanyFeatures) -> list[Evidence]:
    """What differs between two companies that look alike: the type, the active state."""
    found = []
    a, b = candidate.company_type, existing.company_type
    if a is not None and b is not None and a != b:
        found.append(
            Evidence("different_company_type", f"{_type_label(a)} vs {_type_label(b)}", 0.0)
        )
    inactive = [f for f in (candidate, existing) if f.inactive]
    if inactive:
        who = ", ".join(
            f"company {f.id}" if f.id is not None else "the candidate" for f in inactive
        )
        found.append(Evidence("inactive", f"{who} inactive", 0.0))
    return found


def _type_label(value: str) -> str:
    try:
        return COMPANY_TYPES.get(int(value), value)
    except ValueError:
        return value


def names_may_be_similar(a: _Named, b: _Named) -> bool:
    """False only when the names give no evidence (neither contained nor similar): a cheap
    filter for pairs that share nothing but a name key (a name-only pair needs a name)."""
    if not a.name or not b.name:
        return False
    if a.compact == b.compact or _contained_key(a, b):
        return True
    return fuzz.token_sort_ratio(a.name, b.name, score_cutoff=_SIMILAR_CUTOFF) > 0


def similar_name_pairs(records: Sequence[_Named]) -> set[tuple[int, int]]:
    """Index pairs (i < j) of the records whose names may be similar: every pair for which
    ``names_may_be_similar`` holds, and a few more; computed in bulk."""
    names = [record.name for record in records]
    scores = process.cdist(
        names,
        names,
        scorer=fuzz.token_sort_ratio,
        score_cutoff=_SIMILAR_CUTOFF,
        dtype=np.uint8,
        workers=1,
    )
    rows, columns = np.nonzero(np.triu(scores, k=1))
    found = {(int(i), int(j)) for i, j in zip(rows, columns, strict=True)}
    holding: defaultdict[str, set[int]] = defaultdict(set)  # word -> records with it
    same: defaultdict[str, list[int]] = defaultdict(list)  # name without spaces -> records
    for n, record in enumerate(records):
        for word in record.words:
            holding[word].add(n)
        if record.compact:
            same[record.compact].append(n)
    for n, record in enumerate(records):  # names holding every word of this one's
        if record.words:
            wider = set.intersection(*(holding[word] for word in record.words))
            found.update((min(n, m), max(n, m)) for m in wider if m != n)
    for group in same.values():
        found.update((a, b) for i, a in enumerate(group) for b in group[i + 1 :])
    return {(i, j) for i, j in found if names[i] and names[j]}


def name_weight(candidate: _Named, existing: _Named) -> float:
    """The names' evidence weight (0 when they give none): with the identity keys two
    records share (``IDENTITY_WEIGHTS``), the most they can score."""
    return sum(item.weight for item in _name_evidence(candidate, existing))


def _name_evidence(candidate: _Named, existing: _Named) -> list[Evidence]:
    a, b = candidate.name, existing.name
    if not a or not b:
        return []
    if a == b:
        return [Evidence("name_exact_key", f"both names normalise to {a!r}", W_NAME_EXACT)]
    if candidate.compact == existing.compact:
        return [Evidence("name_exact_key", f"{a!r} = {b!r} ignoring spaces", W_NAME_EXACT)]
    options = []
    contained = _contained_key(candidate, existing)
    if contained:
        other = b if contained == a else a
        detail = f"every word of {contained!r} is in {other!r}"
        options.append(Evidence("name_contained", detail, W_NAME_CONTAINED))
    ratio = round(fuzz.token_sort_ratio(a, b), 1)
    if ratio >= NAME_SIMILAR_MIN_RATIO:
        detail = f"token_sort_ratio {ratio} between {a!r} and {b!r}"
        options.append(Evidence("name_similar", detail, round(ratio * NAME_SIMILAR_FACTOR, 1)))
    return [max(options, key=lambda item: item.weight)] if options else []


def _contained_key(a: _Named, b: _Named) -> str:
    """The name key whose words are a strict subset of the other's ('' when neither is)."""
    words_a, words_b = a.words, b.words
    short = a if words_a < words_b else b if words_b < words_a else None
    return short.name if short and len(short.compact) >= NAME_CONTAINED_MIN_CHARS else ""


def _domain_evidence(candidate: CompanyFeatures, existing: CompanyFeatures) -> list[Evidence]:
    a, b = candidate.domain, existing.domain
    if not a or not b:
        return []
    free = sorted({d for d, on in ((a, candidate.free_mail), (b, existing.free_mail)) if on})
    if free:
        detail = f"{', '.join(free)} is free mail, not company identity"
        return [Evidence("web_domain_free_mail_ignored", detail, 0.0)]
    shared = sorted({d for d, on in ((a, candidate.shared_host), (b, existing.shared_host)) if on})
    suffixes = [d for d in shared if is_public_suffix(d)]
    if suffixes:
        detail = f"{', '.join(suffixes)} is a public suffix, nobody's own domain"
        return [Evidence("web_domain_public_suffix_ignored", detail, 0.0)]
    if shared:
        detail = f"{', '.join(shared)} hosts unrelated businesses, not company identity"
        return [Evidence("web_domain_shared_host_ignored", detail, 0.0)]
    if a == b:
        return [Evidence("web_domain", a, W_WEB_DOMAIN)]
    # (neither is a public suffix: those are ignored above, so a parent is the registrant's)
    if a.endswith(f".{b}") or b.endswith(f".{a}"):
        return [Evidence("web_domain", f"{a} and {b} (subdomain)", W_WEB_DOMAIN)]
    return [Evidence("different_domain", f"{a} vs {b}", W_DIFFERENT_DOMAIN)]


def company_phones(record: Record, region: str = DEFAULT_REGION) -> frozenset[str]:
    """The company's phone numbers in E.164."""
    numbers = (normalise_phone(field_text(record, name), region) for name in COMPANY_PHONE_FIELDS)
    return frozenset(number for number in numbers if number)


def _phone_evidence(candidate: CompanyFeatures, existing: CompanyFeatures) -> list[Evidence]:
    shared = candidate.phones & existing.phones
    written = ", ".join(format_phone(number) for number in sorted(shared))
    return [Evidence("phone", written, W_PHONE)] if shared else []


def _address_evidence(candidate: CompanyFeatures, existing: CompanyFeatures) -> list[Evidence]:
    street = candidate.street
    if not street or street != existing.street:
        return []
    postal_a, postal_b = candidate.postal, existing.postal
    if postal_a and postal_b:
        same_place = _same_postal(postal_a, postal_b)
        where = f"postal code {postal_a}"
    else:
        city = candidate.city
        same_place = bool(city) and city == existing.city
        where = f"city {city}"
    return [Evidence("address", f"street {street}, {where}", W_ADDRESS)] if same_place else []


def _same_postal(a: str, b: str) -> bool:
    """Equal, or a ZIP and its ZIP+4 ('62701' / '627011234')."""
    short, long_ = sorted((a, b), key=len)
    return a == b or (len(short) >= 5 and short.isdigit() and long_.startswith(short))


def _country_evidence(candidate: CompanyFeatures, existing: CompanyFeatures) -> list[Evidence]:
    a, b = candidate.country, existing.country
    if a is None or b is None or a == b:
        return []
    return [Evidence("different_country", f"countryID {a} vs {b}", W_DIFFERENT_COUNTRY)]


def blocking_keys_company(record: Record, *, region: str = DEFAULT_REGION) -> frozenset[str]:
    """Cheap keys; two companies are only compared in a scan when they share one."""
    return company_keys(prepare_company(record, region=region))


def company_keys(features: CompanyFeatures, *, identity_only: bool = False) -> frozenset[str]:
    """``blocking_keys_company`` of a prepared record (only its identity keys, if asked).

    Identity keys (``IDENTITY_FAMILIES``): ``name:`` the name key without spaces,
    ``domain:`` the web domain and its parent domains, ``phone:`` each number's last 7 digits,
    ``addr:`` street with postal code (a ZIP+4 as its ZIP) and street with city. Name
    keys: ``token:`` each distinctive word, ``name4:`` the first four letters,
    ``skeleton:`` the consonant skeleton.
    """
    keys: set[str] = set()
    name = features.name
    if name:
        keys.add(f"name:{features.compact}")
        if not identity_only:
            keys.add(f"name4:{features.compact[:4]}")
            keys.add(f"skeleton:{consonant_skeleton(name)}")
            keys.update(f"token:{word}" for word in name.split() if _is_blocking_word(word))
    domain = features.domain
    if domain and not features.free_mail and not features.shared_host:
        keys.update(f"domain:{parent}" for parent in _domain_and_parents(domain))
    keys.update(f"phone:{number[-7:]}" for number in features.phones)
    if features.street:
        if features.postal:
            keys.add(f"addr:{features.street}|{_postal_block(features.postal)}")
        if features.city:
            keys.add(f"addr:{features.street}|city:{features.city}")
    return frozenset(keys)


def _domain_and_parents(domain: str) -> list[str]:
    """'shop.acme.co.uk' -> itself and 'acme.co.uk' (a subdomain scores as the same domain);
    never a public suffix ('co.uk'), free mail or a shared host."""
    found = domain_and_parents(domain)
    return found[:1] + [p for p in found[1:] if not is_free_mail(p) and not is_shared_host(p)]


def _postal_block(postal: str) -> str:
    """A ZIP+4 blocks as its ZIP: '627011234' and '62701' are the same place."""
    return postal[:5] if len(postal) >= 5 and postal[:5].isdigit() else postal


def _is_blocking_word(word: str) -> bool:
    return len(word) > 3 and word not in GENERIC_NAME_TOKENS
