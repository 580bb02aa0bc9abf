"""Scoring a table block by block: each pair once, each record normalised once.

A whole-table scan reads blocks (the records sharing one blocking key) from an index
and hands each block here, its records already prepared (``DuplicateProfile.prepare``)
with their keys. A pair sharing several keys is scored in one block only, the block of
its smallest shared key that the scan uses (``skip_key`` names the ones it does not:
other families, crowded keys). A pair sharing only name keys is scored only when the
names could be evidence (``may_be_similar``): without an identity key nothing else can
add to its score, so a pair whose names say nothing cannot reach "ambiguous".
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from mspcrm.domain.duplicates.model import AMBIGUOUS, MATCHED
from mspcrm.domain.duplicates.profiles import DuplicateProfile
from mspcrm.domain.duplicates.ranking import Pair


@dataclass(frozen=True, slots=True)
class Prepared:
    """One record of a block: its id, prepared features and blocking keys."""

    id: int
    features: Any
    keys: frozenset[str]


class BlockScorer:
    """Scores the pairs of one block at a time, see the module docstring."""

    def __init__(
        self,
        profile: DuplicateProfile,
        *,
        include_ambiguous: bool,
        skip_key: Callable[[str], bool],
    ) -> None:
        self.profile = profile
        self.accepted = {MATCHED, AMBIGUOUS} if include_ambiguous else {MATCHED}
        self.skip_key = skip_key
        self.compared = 0  # pairs scored, for progress reports and benchmarks

    def pairs(self, key: str, members: Sequence[Prepared]) -> list[Pair]:
        """The accepted pairs (left id < right id) that this block owns."""
        ordered = sorted(members, key=lambda member: member.id)
        identity_block = self.profile.is_identity_key(key)
        score, is_identity = self.profile.score_prepared, self.profile.is_identity_key
        may_be_similar, skip_key = self.profile.may_be_similar, self.skip_key
        found = []
        for n, left in enumerate(ordered):
            for right in ordered[n + 1 :]:
                shared = left.keys & right.keys
                if len(shared) > 1 and min(_used(shared, skip_key), default=key) != key:
                    continue  # scored in the block of a smaller shared key
                if (
                    not identity_block
                    and not any(is_identity(k) for k in shared)
                    and not may_be_similar(left.features, right.features)
                ):
                    continue
                self.compared += 1
                match = score(left.features, right.features)
                if match.verdict in self.accepted:
                    found.append(Pair(left_id=left.id, right_id=right.id, match=match))
        return found


def _used(keys: frozenset[str], skip_key: Callable[[str], bool]) -> list[str]:
    return [k for k in keys if not skip_key(k)]
