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

For many comparisons, ``prepare_company`` / ``prepare_contact`` normalise a record
once and ``score_company_features`` / ``company_keys`` (and the contact ones) read
only that: the same scores, evidence and keys. ``BlockScorer`` scores a table block
by block from an index of blocking keys (the whole-table scan).

``PROFILES`` / ``profile_for(entity)`` name each entity's scorer, blocking
keys and the wire fields they read, for generic wiring (store, API, CLI).
"""

from mspcrm.domain.duplicates.blocks import BlockScorer, Member
from mspcrm.domain.duplicates.companies import (
    COMPANY_FIELDS,
    CompanyFeatures,
    blocking_keys_company,
    company_keys,
    prepare_company,
    score_company,
    score_company_features,
)
from mspcrm.domain.duplicates.contacts import (
    CONTACT_FIELDS,
    ContactFeatures,
    blocking_keys_contact,
    contact_keys,
    prepare_contact,
    score_contact,
    score_contact_features,
)
from mspcrm.domain.duplicates.free_mail import (
    FREE_MAIL_DOMAINS,
    SHARED_WEB_HOSTS,
    is_free_mail,
    is_shared_host,
)
from mspcrm.domain.duplicates.given_names import nickname_relation, transliterated
from mspcrm.domain.duplicates.legal_forms import LEGAL_FORMS, LEGAL_SUFFIXES, LegalForm
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
    as_record_id,
    build_match,
    record_id,
    verdict_for,
)
from mspcrm.domain.duplicates.normalise import (
    DEFAULT_REGION,
    address_key,
    company_name_key,
    fold_text,
    format_phone,
    normalise_email,
    normalise_phone,
    person_name_key,
    registrable_domain,
    web_domain,
)
from mspcrm.domain.duplicates.profiles import PROFILES, DuplicateProfile, profile_for
from mspcrm.domain.duplicates.ranking import (
    Cluster,
    DuplicateCheck,
    Pair,
    check_bounded,
    check_duplicates,
    check_matches,
    cluster,
    clusters_of,
    duplicate_pairs,
    overall_verdict,
    rank,
    rank_matches,
)
from mspcrm.domain.duplicates.regions import is_region, phone_region, record_region

__all__ = [
    "AMBIGUOUS",
    "AMBIGUOUS_MIN_SCORE",
    "COMPANY_FIELDS",
    "CONTACT_FIELDS",
    "DEFAULT_REGION",
    "FREE_MAIL_DOMAINS",
    "LEAD_MARGIN",
    "LEGAL_FORMS",
    "LEGAL_SUFFIXES",
    "MATCHED",
    "MATCHED_MIN_SCORE",
    "PROFILES",
    "SHARED_WEB_HOSTS",
    "UNMATCHED",
    "BlockScorer",
    "BlockingKeys",
    "Cluster",
    "CompanyFeatures",
    "ContactFeatures",
    "DuplicateCheck",
    "DuplicateProfile",
    "Evidence",
    "LegalForm",
    "Match",
    "Member",
    "Pair",
    "Record",
    "Scorer",
    "Verdict",
    "address_key",
    "as_record_id",
    "blocking_keys_company",
    "blocking_keys_contact",
    "build_match",
    "check_bounded",
    "check_duplicates",
    "check_matches",
    "cluster",
    "clusters_of",
    "company_keys",
    "company_name_key",
    "contact_keys",
    "duplicate_pairs",
    "fold_text",
    "format_phone",
    "is_free_mail",
    "is_region",
    "is_shared_host",
    "nickname_relation",
    "normalise_email",
    "normalise_phone",
    "overall_verdict",
    "person_name_key",
    "phone_region",
    "prepare_company",
    "prepare_contact",
    "profile_for",
    "rank",
    "rank_matches",
    "record_id",
    "record_region",
    "registrable_domain",
    "score_company",
    "score_company_features",
    "score_contact",
    "score_contact_features",
    "transliterated",
    "verdict_for",
    "web_domain",
]
