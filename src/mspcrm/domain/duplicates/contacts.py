"""Contact duplicate scoring: e-mail, person name within a company, and phone evidence.

The score is the sum of the evidence weights below, clamped to 0..100. A shared
e-mail address alone is "matched"; the same name at the same company alone is
"ambiguous" (namesakes exist, and a wrong merge costs more than a question);
the same name plus a shared phone or e-mail is "matched".
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final, NamedTuple

import numpy as np
from rapidfuzz import fuzz, process

from mspcrm.domain.duplicates.free_mail import is_free_mail
from mspcrm.domain.duplicates.given_names import (
    full_names_of,
    nickname_relation,
    transliterated,
)
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
    email_domain,
    fold_text,
    format_phone,
    normalise_email,
    normalise_phone,
    person_name_key,
)
from mspcrm.domain.duplicates.regions import record_region

W_EMAIL: Final = 90.0  # a mailbox is personal: identity on its own, free mail included
W_EMAIL_DOMAIN: Final = 10.0  # same company mail domain, different mailboxes
W_DIFFERENT_EMAIL: Final = -10.0  # both have e-mail, none shared: weak, people have two
W_NAME_SAME_COMPANY: Final = 70.0
W_NAME_UNKNOWN_COMPANY: Final = 40.0  # one side has no companyID
W_NAME_OTHER_COMPANY: Final = 30.0
# A nickname of the same first name with the same last name (Bob / Robert Smith): a little
# less than the same name, so still "ambiguous" alone and "matched" with a mobile phone.
W_NICKNAME_SAME_COMPANY: Final = 65.0
W_NICKNAME_UNKNOWN_COMPANY: Final = 35.0
W_NICKNAME_OTHER_COMPANY: Final = 25.0
# The same mailbox or name at another company: the person moved, or the data is wrong. The
# difference is named, and a shared e-mail alone is then a question, not an answer.
W_DIFFERENT_COMPANY: Final = -10.0
NAME_SIMILAR_MIN_RATIO: Final = 85.0  # "Jon Smith" / "John Smith", swapped first/last
NAME_SIMILAR_FACTOR: Final = 0.6  # same company only: 51 .. 60
W_DIFFERENT_LAST_NAME: Final = -25.0  # e.g. a shared mailbox (info@) used by two people
W_DIFFERENT_FIRST_NAME: Final = -15.0  # e.g. a couple sharing a family address
LAST_NAME_MIN_RATIO: Final = 80.0
FIRST_NAME_MIN_RATIO: Final = 60.0
W_MOBILE_PHONE: Final = 35.0  # a mobile is personal
W_PHONE: Final = 15.0  # a desk line is often the company's switchboard

CONTACT_EMAIL_FIELDS: Final = ("emailAddress", "emailAddress2", "emailAddress3")
CONTACT_DESK_PHONE_FIELDS: Final = ("phone", "alternatePhone")
CONTACT_MOBILE_FIELDS: Final = ("mobilePhone",)
CONTACT_FIELDS: Final = (
    "companyID", "firstName", "lastName", *CONTACT_EMAIL_FIELDS, *CONTACT_DESK_PHONE_FIELDS,
    *CONTACT_MOBILE_FIELDS,
)  # fmt: skip
# Read besides: the contact's own country (its phones' region after its company's) and
# whether it is active (a difference named).
CONTACT_CONTEXT_FIELDS: Final = ("countryID", "isActive")
# Not a Contact field: the country of the contact's company, which the service adds to the
# record (a contact's phones are read in its company's country, then its own, then the
# installation's default region).
COMPANY_COUNTRY: Final = "companyCountryID"
# Every pair scoring "matched" shares an e-mail (90) or a phone number (the same name at
# the same company is 70: it needs a phone, 15 or 35, to reach 85). The name keys
# (name, company_last4, email_domain) add the pairs only a name joins (ambiguous).
IDENTITY_ORDER: Final = ("email", "phone")  # a pair's owner block: see blocks.py
IDENTITY_FAMILIES: Final = frozenset(IDENTITY_ORDER)
# The most each shared identity key adds besides the names' evidence (a shared e-mail
# domain adds 10 but comes with different_email, -10): with names that say nothing, a pair
# scores at most the sum of these.
IDENTITY_WEIGHTS: Final = {"email": W_EMAIL, "phone": W_MOBILE_PHONE}
KEY_FAMILIES: Final = IDENTITY_FAMILIES | {"email_domain", "name", "company_last4"}


class ContactFeatures(NamedTuple):
    """A contact's comparable values, normalised once (``prepare_contact``), compared often."""

    id: Any  # the record's id as given; validated when scored (``as_record_id``)
    emails: tuple[str, ...]  # normalised, sorted, no repeats
    name: str  # person_name_key(firstName, lastName)
    first: str  # folded
    last: str  # folded
    company: str | None
    mobiles: frozenset[str]  # E.164
    phones: frozenset[str]  # E.164, mobiles and desk lines
    first_out: str  # transliterated first name ('juergen')
    last_out: str  # transliterated last name ('mueller')
    inactive: bool  # isActive given and false


class ContactName(NamedTuple):
    """A contact's name alone, normalised (what ``names_may_be_similar`` reads)."""

    name: str
    first: str = ""
    last: str = ""
    first_out: str = ""
    last_out: str = ""


def prepare_contact_name(record: Record) -> ContactName:
    """The name part of ``prepare_contact`` (cheaper, for pairs that may end there)."""
    first, last = field_text(record, "firstName"), field_text(record, "lastName")
    return ContactName(
        person_name_key(first, last),
        fold_text(first),
        fold_text(last),
        transliterated(first),
        transliterated(last),
    )


def contact_region(record: Record, default: str = DEFAULT_REGION) -> str:
    """The region the contact's phones are read in: its company's country, its own, or
    ``default``."""
    return record_region(record, default, record.get(COMPANY_COUNTRY))


def prepare_contact(record: Record, *, region: str = DEFAULT_REGION) -> ContactFeatures:
    """Everything ``score_contact`` and ``blocking_keys_contact`` read, normalised once;
    ``region`` is the installation's default (see ``contact_region``)."""
    where = contact_region(record, region)
    mobiles = _phones(record, CONTACT_MOBILE_FIELDS, where)
    first, last = field_text(record, "firstName"), field_text(record, "lastName")
    return ContactFeatures(
        id=record.get("id"),
        emails=contact_emails(record),
        name=person_name_key(first, last),
        first=fold_text(first),
        last=fold_text(last),
        company=field_text(record, "companyID"),
        mobiles=mobiles,
        phones=mobiles | _phones(record, CONTACT_DESK_PHONE_FIELDS, where),
        first_out=transliterated(first),
        last_out=transliterated(last),
        inactive=is_inactive(record.get("isActive")),
    )


def score_contact(candidate: Record, existing: Record, *, region: str = DEFAULT_REGION) -> Match:
    """Score how likely ``existing`` is the same person as ``candidate`` (symmetric)."""
    return score_contact_features(
        prepare_contact(candidate, region=region), prepare_contact(existing, region=region)
    )


def score_contact_features(candidate: ContactFeatures, existing: ContactFeatures) -> Match:
    """``score_contact`` on prepared records: the same score, verdict and evidence."""
    evidence = [
        *_email_evidence(candidate, existing),
        *_name_evidence(candidate, existing),
        *_phone_evidence(candidate, existing),
    ]
    if any(item.weight > 0 for item in evidence):
        evidence += _differences(candidate, existing, evidence)
    return build_match(as_record_id(existing.id), evidence)


def _differences(
    candidate: ContactFeatures, existing: ContactFeatures, evidence: list[Evidence]
) -> list[Evidence]:
    """What differs between two records that look alike: another company, an inactive one.
    (The name's weight already counts the company; a shared e-mail's does not.)"""
    found = []
    if _company_relation(candidate, existing) == "other":
        detail = f"companyID {candidate.company} vs {existing.company}"
        by_email = any(item.signal == "email" for item in evidence)
        found.append(
            Evidence("different_company", detail, W_DIFFERENT_COMPANY if by_email else 0.0)
        )
    inactive = [str(f.id) for f in (candidate, existing) if f.inactive]
    if inactive:
        who = ", ".join(f"contact {i}" if i != "None" else "the candidate" for i in inactive)
        found.append(Evidence("inactive", f"{who} inactive", 0.0))
    return found


def names_may_be_similar(
    a: ContactName | ContactFeatures, b: ContactName | ContactFeatures
) -> bool:
    """False only when the names give no positive evidence: a cheap filter for pairs that
    share nothing but a name key."""
    if not a.name or not b.name:
        return False
    if a.name == b.name or _one_name(a, b):
        return True
    return fuzz.token_sort_ratio(a.name, b.name, score_cutoff=84.9) > 0


def similar_name_pairs(records: Sequence[ContactName | ContactFeatures]) -> set[tuple[int, int]]:
    """Index pairs (i < j) of the records whose names may be similar: every pair for which
    ``names_may_be_similar`` holds, and a few more; computed in bulk (rapidfuzz cdist, and
    the nicknames and spellings of each last name's first names)."""
    names = [record.name for record in records]
    scores = process.cdist(
        names, names, scorer=fuzz.token_sort_ratio, score_cutoff=84.9, dtype=np.uint8, workers=1
    )
    rows, columns = np.nonzero(np.triu(scores, k=1))
    found = {(int(i), int(j)) for i, j in zip(rows, columns, strict=True)}
    # one name written two ways or a nickname: same last name, and a first name, a spelling
    # or a full name it shortens in common (a bucket each), then checked pair by pair
    buckets: dict[tuple[str, str], list[int]] = {}
    for n, record in enumerate(records):
        givens = {part.split()[0] for part in (record.first, record.first_out) if part}
        keys = set(givens).union(*(full_names_of(given) for given in givens))
        for last in {record.last, record.last_out} - {""}:
            for key in keys:
                buckets.setdefault((last, key), []).append(n)
    for group in buckets.values():
        found.update(
            (a, b)
            for k, a in enumerate(group)
            for b in group[k + 1 :]
            if (a, b) not in found and _one_name(records[a], records[b])
        )
    return {(min(i, j), max(i, j)) for i, j in found if names[i] and names[j]}


def name_weight(a: ContactName | ContactFeatures, b: ContactName | ContactFeatures) -> float:
    """The most the names can add (the same name at the same company, or one written two
    ways: 70; a nickname: 65; a similar one: at most 60; else nothing): with the identity
    keys two records share (``IDENTITY_WEIGHTS``), the most they can score."""
    if not a.name or not b.name:
        return 0.0
    if a.name == b.name or _written_out(a, b):
        return W_NAME_SAME_COMPANY
    if _nickname(a, b):
        return W_NICKNAME_SAME_COMPANY
    similar = fuzz.token_sort_ratio(a.name, b.name, score_cutoff=84.9) > 0
    return NAME_SIMILAR_FACTOR * 100.0 if similar else 0.0


def _same_last(a: ContactName | ContactFeatures, b: ContactName | ContactFeatures) -> bool:
    return bool(a.last) and (a.last == b.last or (bool(a.last_out) and a.last_out == b.last_out))


def _written_out(a: ContactName | ContactFeatures, b: ContactName | ContactFeatures) -> bool:
    """Both names equal once special letters are written out ('Jürgen' / 'Juergen')."""
    same_first = bool(a.first) and (a.first == b.first or a.first_out == b.first_out)
    return same_first and _same_last(a, b)


def _nickname(a: ContactName | ContactFeatures, b: ContactName | ContactFeatures) -> str:
    """How the first names are nicknames of each other, with the same last name ('')."""
    if not _same_last(a, b) or not a.first or not b.first:
        return ""
    given_a, given_b = a.first.split()[0], b.first.split()[0]
    return nickname_relation(given_a, given_b) or nickname_relation(
        a.first_out.split()[0] if a.first_out else "", b.first_out.split()[0] if b.first_out else ""
    )


def _one_name(a: ContactName | ContactFeatures, b: ContactName | ContactFeatures) -> bool:
    return _written_out(a, b) or bool(_nickname(a, b))


def contact_emails(record: Record) -> tuple[str, ...]:
    """The contact's normalised e-mail addresses, sorted, without repeats."""
    emails = (normalise_email(field_text(record, name)) for name in CONTACT_EMAIL_FIELDS)
    return tuple(sorted({email for email in emails if email}))


def _email_evidence(candidate: ContactFeatures, existing: ContactFeatures) -> list[Evidence]:
    a, b = candidate.emails, existing.emails
    if not a or not b:
        return []
    shared = sorted(set(a) & set(b))
    if shared:
        return [Evidence("email", ", ".join(shared), W_EMAIL)]
    evidence = []
    domains = sorted(_domains(a) & _domains(b))
    company = [domain for domain in domains if not is_free_mail(domain)]
    if company:
        evidence.append(Evidence("email_domain", company[0], W_EMAIL_DOMAIN))
    elif domains:
        detail = f"{domains[0]} is free mail, not identity"
        evidence.append(Evidence("email_free_mail_ignored", detail, 0.0))
    evidence.append(Evidence("different_email", f"{a[0]} vs {b[0]}", W_DIFFERENT_EMAIL))
    return evidence


def _domains(emails: tuple[str, ...]) -> set[str]:
    return {domain for domain in map(email_domain, emails) if domain}


def _company_relation(candidate: ContactFeatures, existing: ContactFeatures) -> str:
    a, b = candidate.company, existing.company
    if a is None or b is None:
        return "unknown"
    return "same" if a == b else "other"


def _name_evidence(candidate: ContactFeatures, existing: ContactFeatures) -> list[Evidence]:
    a, b = candidate.name, existing.name
    if not a or not b:
        return []
    relation = _company_relation(candidate, existing)
    if a == b:
        return [_same_name(a, relation)]
    if _written_out(candidate, existing):
        spelled = f"{a!r} = {b!r} with special letters written out"
        return [_same_name(spelled, relation)]
    nickname = _nickname(candidate, existing)
    if nickname:
        return [_nickname_evidence(f"{nickname}, both {candidate.last!r}", relation)]
    ratio = round(fuzz.token_sort_ratio(a, b), 1)
    if ratio < NAME_SIMILAR_MIN_RATIO:
        return _name_conflict(candidate, existing)
    if relation != "same":
        return []
    detail = f"token_sort_ratio {ratio} between {a!r} and {b!r} at the same company"
    return [Evidence("person_name_similar", detail, round(ratio * NAME_SIMILAR_FACTOR, 1))]


def _same_name(key: str, relation: str) -> Evidence:
    if relation == "same":
        return Evidence("person_name_same_company", key, W_NAME_SAME_COMPANY)
    if relation == "other":
        return Evidence("person_name_other_company", key, W_NAME_OTHER_COMPANY)
    return Evidence("person_name", f"{key} (company unknown)", W_NAME_UNKNOWN_COMPANY)


def _nickname_evidence(detail: str, relation: str) -> Evidence:
    if relation == "same":
        return Evidence("person_nickname_same_company", detail, W_NICKNAME_SAME_COMPANY)
    if relation == "other":
        return Evidence("person_nickname_other_company", detail, W_NICKNAME_OTHER_COMPANY)
    return Evidence("person_nickname", f"{detail} (company unknown)", W_NICKNAME_UNKNOWN_COMPANY)


def _name_conflict(candidate: ContactFeatures, existing: ContactFeatures) -> list[Evidence]:
    """Negative evidence when both records have full names that clearly differ."""
    first_a, last_a = candidate.first, candidate.last
    first_b, last_b = existing.first, existing.last
    if not (first_a and last_a and first_b and last_b):
        return []
    last_ratio = round(fuzz.ratio(last_a, last_b), 1)
    if last_ratio < LAST_NAME_MIN_RATIO:
        detail = f"{last_a!r} vs {last_b!r} (ratio {last_ratio})"
        return [Evidence("different_last_name", detail, W_DIFFERENT_LAST_NAME)]
    first_ratio = round(fuzz.ratio(first_a, first_b), 1)
    if first_ratio < FIRST_NAME_MIN_RATIO and not _initial_of(first_a, first_b):
        detail = f"{first_a!r} vs {first_b!r} (ratio {first_ratio})"
        return [Evidence("different_first_name", detail, W_DIFFERENT_FIRST_NAME)]
    return []


def _initial_of(a: str, b: str) -> bool:
    """One first name abbreviates the other ('j' / 'john', 'rob' / 'robert')."""
    return a.startswith(b) or b.startswith(a)


def _phones(record: Record, fields: tuple[str, ...], region: str) -> frozenset[str]:
    numbers = (normalise_phone(field_text(record, name), region) for name in fields)
    return frozenset(number for number in numbers if number)


def _phone_evidence(candidate: ContactFeatures, existing: ContactFeatures) -> list[Evidence]:
    shared = candidate.phones & existing.phones
    personal = shared & (candidate.mobiles | existing.mobiles)
    if personal:
        written = ", ".join(format_phone(number) for number in sorted(personal))
        return [Evidence("mobile_phone", written, W_MOBILE_PHONE)]
    written = ", ".join(format_phone(number) for number in sorted(shared))
    return [Evidence("phone", written, W_PHONE)] if shared else []


def blocking_keys_contact(record: Record, *, region: str = DEFAULT_REGION) -> frozenset[str]:
    """Cheap keys; two contacts are only compared in a scan when they share one."""
    return contact_keys(prepare_contact(record, region=region))


def contact_keys(features: ContactFeatures, *, identity_only: bool = False) -> frozenset[str]:
    """``blocking_keys_contact`` of a prepared record (only its identity keys, if asked:
    ``IDENTITY_FAMILIES``, e-mail and phone)."""
    keys: set[str] = set()
    for email in features.emails:
        keys.add(f"email:{email}")
        domain = email_domain(email)
        if domain and not is_free_mail(domain) and not identity_only:
            keys.add(f"email_domain:{domain}")
    if not identity_only:
        spellings = {(features.first, features.last), (features.first_out, features.last_out)}
        for first, last in spellings:
            if first or last:
                keys.add(f"name:{' '.join(sorted((first + ' ' + last).split()))}")
            if features.company is not None and last:
                keys.add(f"company_last4:{features.company}:{last.replace(' ', '')[:4]}")
    keys.update(f"phone:{number[-7:]}" for number in features.phones)
    return frozenset(keys)
