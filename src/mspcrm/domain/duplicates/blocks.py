"""Scoring a table block by block: each pair once, each record normalised once, lazily.

A whole-table scan reads blocks (the records sharing one blocking key) from an index
and hands each block here as ``Member`` records. Three rules keep the work down without
changing the answer (the pairs scoring at least the scan's threshold):

* **One owner.** A pair sharing several keys is scored in one block only: the block of
  its strongest shared identity key (``identity_order``; ties by the smaller key), or,
  when it shares no identity key, of its smallest shared key. Keys the scan does not use
  (``skip_key``: other families, crowded keys) never own a pair.
* **A bound.** Names that say nothing (not ``may_be_similar``) leave a pair only what
  its shared identity keys add (``identity_weights``: a phone 35, an address 25, ...).
  In a block whose family, with every weaker one, cannot reach the threshold that way
  (an address: 25), a pair is looked at only when its names may be similar, and only its
  name is normalised until then (``prepare_names``), not its domain, phones, address.
  (A stronger key it shares would own it; unless that key is skipped as crowded: the
  records holding such keys, ``eager_ids``, are always looked at.)
* **Name blocks.** In a block of a name key only pairs whose names may be similar (found
  in bulk, ``similar_names``) or that share an identity key can score; nothing else
  could lift a pair to "ambiguous", so no other pair is looked at.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from itertools import combinations
from typing import Any

from mspcrm.domain.duplicates.model import (
    AMBIGUOUS,
    AMBIGUOUS_MIN_SCORE,
    MATCHED,
    MATCHED_MIN_SCORE,
    Record,
)
from mspcrm.domain.duplicates.profiles import DuplicateProfile
from mspcrm.domain.duplicates.ranking import Pair


class Member:
    """One record of a block: its id and stored fields, normalised on demand (by the
    ``BlockScorer``, which fills the other slots once)."""

    __slots__ = ("features", "id", "keys", "names", "record")

    def __init__(self, record_id: int, record: Record) -> None:
        self.id = record_id
        self.record = record
        self.names: Any = None
        self.features: Any = None
        self.keys: frozenset[str] | None = None


class BlockScorer:
    """Scores the pairs of one block at a time, see the module docstring."""

    def __init__(
        self,
        profile: DuplicateProfile,
        *,
        include_ambiguous: bool,
        skip_key: Callable[[str], bool],
        stored_key: Callable[[str], str] = str,
        eager_ids: frozenset[int] = frozenset(),
    ) -> None:
        self.profile = profile
        self.accepted = {MATCHED, AMBIGUOUS} if include_ambiguous else {MATCHED}
        self.threshold = AMBIGUOUS_MIN_SCORE if include_ambiguous else MATCHED_MIN_SCORE
        self.identity_only = not include_ambiguous
        self.skip_key = skip_key
        self.stored_key = stored_key
        self.eager_ids = eager_ids  # records holding a skipped identity key: no bound
        order = profile.identity_order
        self.rank = {family: n for n, family in enumerate(order)}
        weights = profile.identity_weights
        self.name_first = {  # families whose pairs need a name first (the bound)
            family
            for n, family in enumerate(order)
            if sum(weights[f] for f in order[n:]) < self.threshold
        }
        self.compared = 0  # pairs scored, for progress reports and benchmarks

    def pairs(self, key: str, members: Sequence[Member]) -> list[Pair]:
        """The accepted pairs (left id < right id) that this block owns."""
        ordered = sorted(members, key=lambda member: member.id)
        family = key.partition(":")[0]
        name_first = family in self.name_first
        candidates: Iterable[tuple[int, int]]
        if self.profile.is_identity_key(key):
            candidates = combinations(range(len(ordered)), 2)
        else:
            candidates = sorted(self._name_block_candidates(ordered))
        may_be_similar = self.profile.may_be_similar
        found = []
        for i, j in candidates:
            left, right = ordered[i], ordered[j]
            if (
                name_first
                and left.id not in self.eager_ids
                and right.id not in self.eager_ids
                and not may_be_similar(self._names(left), self._names(right))
            ):
                continue  # the bound: this block's family and weaker ones add too little
            shared = self._keys(left) & self._keys(right)
            if self._owner(shared, key) != key:
                continue  # scored in another block
            if (
                not name_first
                and self._bound(shared) < self.threshold
                and not may_be_similar(self._names(left), self._names(right))
            ):
                continue  # the names say nothing and the shared keys add too little
            self.compared += 1
            match = self.profile.score_prepared(self._features(left), self._features(right))
            if match.verdict in self.accepted:
                found.append(Pair(left_id=left.id, right_id=right.id, match=match))
        return found

    def _names(self, member: Member) -> Any:
        if member.names is None:
            member.names = self.profile.prepare_names(member.record)
        return member.names

    def _features(self, member: Member) -> Any:
        if member.features is None:
            member.features = self.profile.prepare(member.record)
        return member.features

    def _keys(self, member: Member) -> frozenset[str]:
        if member.keys is None:
            found = self.profile.keys_prepared(
                self._features(member), identity_only=self.identity_only
            )
            member.keys = frozenset(self.stored_key(k) for k in found)
        return member.keys

    def _bound(self, shared: frozenset[str]) -> float:
        """The most the shared identity keys add to the names' evidence."""
        weights = self.profile.identity_weights
        return sum(weights.get(family, 0.0) for family in {k.partition(":")[0] for k in shared})

    def _owner(self, shared: frozenset[str], key: str) -> str:
        if len(shared) < 2:
            return key
        used = [k for k in shared if not self.skip_key(k)]
        identity = [k for k in used if self.profile.is_identity_key(k)]
        if identity:
            return min(identity, key=lambda k: (self.rank[k.partition(":")[0]], k))
        return min(used, default=key)

    def _name_block_candidates(self, ordered: Sequence[Member]) -> set[tuple[int, int]]:
        """Pairs of a name key's block that could score (see the module docstring)."""
        profile = self.profile
        names = [self._names(member) for member in ordered]
        found = {
            (i, j)
            for i, j in profile.similar_names(names)
            if profile.may_be_similar(names[i], names[j])
        }
        by_identity: defaultdict[str, list[int]] = defaultdict(list)
        for n, member in enumerate(ordered):
            for k in self._keys(member):
                if profile.is_identity_key(k):
                    by_identity[k].append(n)
        for group in by_identity.values():
            found.update(combinations(group, 2))
        return found
