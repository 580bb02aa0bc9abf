"""Given names that are one person's: nicknames (Bob / Robert) and transliterations
(Jürgen / Juergen).

Nicknames come from the ``nicknames`` package (a maintained, hand-curated list of
English given names and their nicknames, Apache-2.0), read once. Two names are
nicknames of each other when one is listed as the other's nickname, or both are
nicknames of one longer name ("Liz" / "Beth": Elizabeth). Not transitively: "Robert" and
"William" share the nickname "Bill" and stay different names.

Transliterations: German, Scandinavian and other letters written out ("ü" as "ue",
"ø" as "oe", "ß" as "ss") give the same ``transliterated`` key as the letter itself.
"""

from __future__ import annotations

from collections import defaultdict
from functools import lru_cache
from typing import Final

from nicknames import name_triplets

from mspcrm.domain.duplicates.normalise import fold_text

# Letters that are written out in ASCII rather than dropping their accent.
_WRITTEN_OUT: Final = str.maketrans(
    {
        "ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "ø": "oe", "æ": "ae", "å": "aa",
        "œ": "oe", "ð": "d", "þ": "th", "ł": "l", "đ": "d",
        "Ä": "ae", "Ö": "oe", "Ü": "ue", "Ø": "oe", "Æ": "ae", "Å": "aa", "Œ": "oe",
        "Ð": "d", "Þ": "th", "Ł": "l", "Đ": "d", "ẞ": "ss",
    }
)  # fmt: skip


def transliterated(name: str | None) -> str:
    """The name folded with its special letters written out: 'Jürgen' -> 'juergen',
    'Søren' -> 'soeren' ('' when empty)."""
    return fold_text(str(name).translate(_WRITTEN_OUT)) if name else ""


def same_name_written_out(a: str | None, b: str | None) -> bool:
    """True when two spellings differ only in how special letters are written
    ('Jürgen' / 'Juergen' / 'Jurgen')."""
    if not a or not b:
        return False
    folded_a, folded_b = fold_text(a), fold_text(b)
    if not folded_a or not folded_b:
        return False
    return folded_a == folded_b or transliterated(a) == transliterated(b)


@lru_cache(maxsize=1)
def _nicknames() -> tuple[dict[str, frozenset[str]], dict[str, frozenset[str]]]:
    """(name -> its nicknames, nickname -> the names it is short for), folded."""
    nicknames: defaultdict[str, set[str]] = defaultdict(set)
    canonicals: defaultdict[str, set[str]] = defaultdict(set)
    for triplet in name_triplets():
        if triplet.relationship != "has_nickname":
            continue
        name, nickname = fold_text(triplet.name1), fold_text(triplet.name2)
        if name and nickname and name != nickname:
            nicknames[name].add(nickname)
            canonicals[nickname].add(name)
    return (
        {k: frozenset(v) for k, v in nicknames.items()},
        {k: frozenset(v) for k, v in canonicals.items()},
    )


def nickname_relation(a: str, b: str) -> str:
    """How two folded given names relate in the nickname list: 'bob is a nickname of
    robert', 'bill and will are both nicknames of william', or '' when they do not."""
    if not a or not b or a == b:
        return ""
    nicknames, canonicals = _nicknames()
    listed = [(short, full) for short, full in ((a, b), (b, a)) if short in nicknames.get(full, ())]
    if listed:  # the list has some pairs both ways ('bob' / 'robert'): the longer is the name
        short, full = max(listed, key=lambda pair: (len(pair[1]), pair[1]))
        return f"{short!r} is a nickname of {full!r}"
    # a full name both shorten, as long as either (the list also has 'bill' -> 'robert' and
    # 'bill' -> 'william': that must not make Robert and William one name)
    shared = {
        full
        for full in canonicals.get(a, frozenset()) & canonicals.get(b, frozenset())
        if len(full) >= max(len(a), len(b)) and full not in (a, b)
    }
    if shared:
        return f"{a!r} and {b!r} are both nicknames of {min(shared)!r}"
    return ""


def full_names_of(name: str) -> frozenset[str]:
    """The names the list says this folded name is a nickname of ('bob' -> robert, ...)."""
    return _nicknames()[1].get(name, frozenset())


def are_nicknames(a: str, b: str) -> bool:
    """True when ``nickname_relation`` finds one."""
    return bool(nickname_relation(a, b))


def nickname_list_size() -> int:
    """How many names the list knows (for the docs and a test that it loaded)."""
    nicknames, canonicals = _nicknames()
    return len(nicknames.keys() | canonicals.keys())
