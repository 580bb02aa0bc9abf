"""Deterministic, explainable duplicate scoring for companies and contacts (pure Python).

A scorer compares two records given as Autotask wire dicts and returns a
``Match``: a score (0..100, one decimal), a verdict (``matched`` at
``MATCHED_MIN_SCORE`` and above, ``ambiguous`` at ``AMBIGUOUS_MIN_SCORE`` and
above, else ``unmatched``) and the evidence behind it. The score is the sum of
the evidence weights, clamped, so every point can be explained. Free-mail
domains and shared web hosts (facebook.com, wixsite.com, ...) are never
company identity.

    check_duplicates(candidate, rows, score_company)   # verify before create
    cluster(rows, score_contact, blocking_keys_contact) # near-duplicate groups

``PROFILES`` / ``profile_for(entity)`` name each entity's scorer, blocking
keys and the wire fields they read, for generic wiring (store, API, CLI).
"""

from mspcrm.domain.duplicates.companies import (
    COMPANY_FIELDS,
    blocking_keys_company,
    score_company,
)
from mspcrm.domain.duplicates.contacts import (
    CONTACT_FIELDS,
    blocking_keys_contact,
    score_contact,
)
from mspcrm.domain.duplicates.free_mail import (
    FREE_MAIL_DOMAINS,
    SHARED_WEB_HOSTS,
    is_free_mail,
    is_shared_host,
)
from mspcrm.domain.duplicates.model import (
    AMBIGUOUS,
    AMBIGUOUS_MIN_SCORE,
    LEAD_MARGIN,
    MATCHED,
    MATCHED_MIN_SCORE,
    UNMATCHED,
    BlockingKeys,
    Evidence,
    Match,
    Record,
    Scorer,
    Verdict,
    build_match,
    verdict_for,
)
from mspcrm.domain.duplicates.normalise import (
    DEFAULT_REGION,
    LEGAL_SUFFIXES,
    address_key,
    company_name_key,
    fold_text,
    normalise_email,
    normalise_phone,
    person_name_key,
    web_domain,
)
from mspcrm.domain.duplicates.profiles import PROFILES, DuplicateProfile, profile_for
from mspcrm.domain.duplicates.ranking import (
    Cluster,
    DuplicateCheck,
    Pair,
    check_duplicates,
    cluster,
    duplicate_pairs,
    overall_verdict,
    rank,
)

__all__ = [
    "AMBIGUOUS",
    "AMBIGUOUS_MIN_SCORE",
    "COMPANY_FIELDS",
    "CONTACT_FIELDS",
    "DEFAULT_REGION",
    "FREE_MAIL_DOMAINS",
    "LEAD_MARGIN",
    "LEGAL_SUFFIXES",
    "MATCHED",
    "MATCHED_MIN_SCORE",
    "PROFILES",
    "SHARED_WEB_HOSTS",
    "UNMATCHED",
    "BlockingKeys",
    "Cluster",
    "DuplicateCheck",
    "DuplicateProfile",
    "Evidence",
    "Match",
    "Pair",
    "Record",
    "Scorer",
    "Verdict",
    "address_key",
    "blocking_keys_company",
    "blocking_keys_contact",
    "build_match",
    "check_duplicates",
    "cluster",
    "company_name_key",
    "duplicate_pairs",
    "fold_text",
    "is_free_mail",
    "is_shared_host",
    "normalise_email",
    "normalise_phone",
    "overall_verdict",
    "person_name_key",
    "profile_for",
    "rank",
    "score_company",
    "score_contact",
    "verdict_for",
    "web_domain",
]
