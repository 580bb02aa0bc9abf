"""Normalisers: the comparable keys of names, domains, phones, e-mails and addresses.

Every function is pure and deterministic; the costly ones are cached, because a
whole-table scan normalises the same values once per pair.
"""

from __future__ import annotations

import re
import unicodedata
from email.utils import parseaddr
from functools import lru_cache
from typing import Final
from urllib.parse import urlsplit

import phonenumbers
from publicsuffixlist import PublicSuffixList

from mspcrm.domain.duplicates.legal_forms import FORM_CONNECTORS, LEGAL_SUFFIXES

DEFAULT_REGION: Final = "US"  # the phone region when neither the record nor the installation says
NANP_COUNTRY_CODE: Final = 1

LEADING_ARTICLES: Final = frozenset({"the"})

GMAIL_DOMAINS: Final = frozenset({"gmail.com", "googlemail.com"})

STREET_ABBREVIATIONS: Final = {
    "street": "st", "avenue": "ave", "road": "rd", "boulevard": "blvd", "drive": "dr",
    "lane": "ln", "place": "pl", "court": "ct", "highway": "hwy", "parkway": "pkwy",
    "square": "sq", "terrace": "ter", "suite": "ste", "floor": "fl", "building": "bldg",
    "apartment": "apt", "north": "n", "south": "s", "east": "e", "west": "w",
    "strasse": "str",
}  # fmt: skip

_NON_WORD = re.compile(r"[\W_]+")
_APOSTROPHES = re.compile(r"['\u2019`\u00b4]")
_WWW = re.compile(r"^www\d*\.")
_LABEL = re.compile(r"[^\W_](?:[\w-]*[^\W_])?")
_VOWELS: Final = frozenset("aeiouy")
# A plain North American number: optional +1 or 1, a 3-digit area code starting 2-9 (in
# brackets or not), 3 and 4 digits, single spaces, dots or hyphens between. For the US
# region phonenumbers parses all of these to +1 and the ten digits, a possible number.
_NANP_PLAIN = re.compile(
    r"(?:\+?1[ .-]?)?(?:\(([2-9][0-9]{2})\)|([2-9][0-9]{2}))[ .-]?([0-9]{3})[ .-]?([0-9]{4})",
    re.ASCII,
)
# A lower-case URL with an optional scheme, a plain host name (letters, digits, dots,
# hyphens) and nothing or a path, query or fragment after it: urlsplit's hostname is the host.
_PLAIN_URL = re.compile(r"([a-z][a-z0-9+.-]*://)?([a-z0-9.-]+)(?:[/?#][^\x00-\x20]*)?", re.ASCII)
_CACHE_SIZE: Final = 1 << 16


def fold_text(text: str | None) -> str:
    """Case-folded, accent-free words joined by single spaces; '&' becomes 'and'."""
    return _fold(str(text)) if text else ""


@lru_cache(maxsize=_CACHE_SIZE)
def _fold(text: str) -> str:
    if text.isascii():  # NFKD leaves ASCII alone and casefold() is lower()
        plain = text.lower()
    else:  # Decompose before and after case-folding: '㎴' -> 'pV' -> 'pv', 'İ' -> 'i' + dot.
        decomposed = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", text).casefold())
        plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    plain = _APOSTROPHES.sub("", plain).replace("&", " and ")
    return " ".join(_join_initials(_NON_WORD.sub(" ", plain).split()))


def _join_initials(tokens: list[str]) -> list[str]:
    """Runs of single letters become one token: 'l l c' -> 'llc', 'i b m' -> 'ibm'."""
    joined: list[str] = []
    run: list[str] = []
    for token in [*tokens, ""]:
        if len(token) == 1 and token.isalpha():
            run.append(token)
            continue
        if run:
            joined.extend(["".join(run)] if len(run) > 1 else run)
            run = []
        if token:
            joined.append(token)
    return joined


def company_name_key(name: str | None) -> str:
    """Comparable company name: folded, leading 'the' and trailing legal suffixes dropped."""
    return _company_key(str(name)) if name else ""


@lru_cache(maxsize=_CACHE_SIZE)
def _company_key(name: str) -> str:
    tokens = _fold(name).split()
    while len(tokens) > 1 and tokens[0] in LEADING_ARTICLES:
        tokens = tokens[1:]
    while len(tokens) > 1 and tokens[-1] in LEGAL_SUFFIXES:
        tokens.pop()
        if len(tokens) > 1 and tokens[-1] in FORM_CONNECTORS:  # "Smith & Co", "GmbH & Co. KG"
            tokens.pop()
    return " ".join(tokens)


def consonant_skeleton(key: str, length: int = 4) -> str:
    """First letter, then consonants without repeats: 'muller'/'mueller' -> 'mlr'."""
    compact = key.replace(" ", "")
    letters = [compact[:1]] + [ch for ch in compact[1:] if ch not in _VOWELS]
    collapsed = [ch for i, ch in enumerate(letters) if i == 0 or ch != letters[i - 1]]
    return "".join(collapsed)[:length]


def person_name_key(first: str | None, last: str | None) -> str:
    """'first last', folded; '' when both parts are empty."""
    return " ".join(part for part in (fold_text(first), fold_text(last)) if part)


def street_key(address1: str | None) -> str:
    """Street line folded, common words abbreviated and spaces removed ('' when empty)."""
    words = []
    for word in fold_text(address1).split():
        if word.endswith("strasse"):  # Hauptstraße / Hauptstrasse / Hauptstr.
            word = word[: -len("strasse")] + "str"
        words.append(STREET_ABBREVIATIONS.get(word, word))
    return "".join(words)


def postal_key(postal_code: str | None) -> str:
    """Postal code folded with spaces removed ('SW1A 1AA' -> 'sw1a1aa')."""
    return fold_text(postal_code).replace(" ", "")


def address_key(address1: str | None, city: str | None, postal_code: str | None) -> str:
    """'street|city|postcode'; '' unless there is a street and a city or a postcode."""
    street, town, postal = street_key(address1), fold_text(city), postal_key(postal_code)
    if not street or not (town or postal):
        return ""
    return f"{street}|{town}|{postal}"


def web_domain(url_or_email: str | None) -> str | None:
    """Lower-case host of a URL or e-mail address, without scheme, path, port and 'www.'."""
    text = str(url_or_email or "").strip().lower()
    if text.startswith("mailto:"):
        text = text[len("mailto:") :]
    if "@" in text and "://" not in text:
        host = text.rsplit("@", 1)[1].strip(" >")
    else:
        host = _url_host(text)
    host = _WWW.sub("", host.rstrip("."))
    return host if _is_host(host) else None


def _url_host(text: str) -> str:
    plain = _PLAIN_URL.fullmatch(text)
    if plain and (plain.group(1) or "://" not in text):  # what urlsplit gives (tests compare)
        return plain.group(2)
    try:
        return urlsplit(text if "://" in text else f"//{text}").hostname or ""
    except ValueError:  # e.g. an unbalanced IPv6 bracket
        return ""


def _is_host(host: str) -> bool:
    labels = host.split(".")
    if len(labels) < 2 or labels[-1].isdigit():  # no dot, or an IPv4 address
        return False
    return all(_LABEL.fullmatch(label) for label in labels)


@lru_cache(maxsize=1)
def _public_suffixes() -> PublicSuffixList:
    """The public-suffix list as the package ships it (its bundled snapshot: no download)."""
    return PublicSuffixList()


@lru_cache(maxsize=_CACHE_SIZE)
def registrable_domain(host: str) -> str | None:
    """The part of a host one registrant owns ('shop.acme.co.uk' -> 'acme.co.uk'); None
    for a public suffix itself ('co.uk', 'com', 'github.io')."""
    found = _public_suffixes().privatesuffix(host)
    return str(found) if found else None


def is_public_suffix(host: str | None) -> bool:
    """True for a host that is a registry's suffix ('co.uk', 'com.au'), nobody's domain."""
    return bool(host) and registrable_domain(str(host)) is None


def domain_and_parents(host: str) -> list[str]:
    """The host and each parent domain down to its registrable domain, longest first:
    'shop.acme.co.uk' -> ['shop.acme.co.uk', 'acme.co.uk'] ([] for a public suffix)."""
    registrable = registrable_domain(host)
    if registrable is None:
        return []
    labels = host.split(".")
    depth = registrable.count(".") + 1
    return [".".join(labels[start:]) for start in range(0, len(labels) - depth + 1)]


def normalise_email(text: str | None) -> str | None:
    """Lower-case, trimmed address without '+tag'; Gmail dots dropped, googlemail -> gmail."""
    value = str(text or "").strip().lower()
    if "<" in value:
        value = parseaddr(value)[1]
    if value.startswith("mailto:"):
        value = value[len("mailto:") :]
    local, at, domain = value.rpartition("@")
    local, domain = local.split("+", 1)[0], domain.rstrip(".")
    if domain in GMAIL_DOMAINS:
        local, domain = local.replace(".", ""), "gmail.com"
    if not at or not local or not _is_host(domain):
        return None
    return f"{local}@{domain}"


def email_domain(email: str | None) -> str | None:
    """Domain of a normalised e-mail address (None when there is none)."""
    domain = (email or "").rpartition("@")[2]
    return domain or None


def normalise_phone(text: str | None, default_region: str = DEFAULT_REGION) -> str | None:
    """E.164 form ('+15551234567') of a phone number read in ``default_region`` (the
    record's country: a number written without its country code is read as that
    country's), or None when it is not a possible number there.

    The one parse of phone numbers: the scorer, the blocking keys and the audit use it.
    """
    if not text:
        return None
    cleaned = str(text).strip()
    region = (default_region or DEFAULT_REGION).upper()
    if region == "US":
        plain = _NANP_PLAIN.fullmatch(cleaned)
        if plain:  # what phonenumbers answers for these, ~30x faster (tests compare the two)
            area, area_plain, exchange, line = plain.groups()
            return f"+1{area or area_plain}{exchange}{line}"
    if not any(ch.isdigit() for ch in cleaned):
        return None
    return _phone_e164(cleaned, region)


@lru_cache(maxsize=_CACHE_SIZE)
def _phone_e164(text: str, region: str) -> str | None:
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number) or _impossible_nanp(number):
        return None
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


@lru_cache(maxsize=_CACHE_SIZE)
def format_phone(e164: str) -> str:
    """An E.164 number written for people, in its country's international format
    ('+442079460018' -> '+44 20 7946 0018'); the text itself when it does not parse."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL))


def _impossible_nanp(number: phonenumbers.PhoneNumber) -> bool:
    """A North American number's area code starts with 2-9: '030 1234567' read in the US
    is a German number without its country code, not '+10301234567'."""
    if number.country_code != NANP_COUNTRY_CODE:
        return False
    return bool(number.italian_leading_zero) or str(number.national_number)[:1] in ("0", "1")
