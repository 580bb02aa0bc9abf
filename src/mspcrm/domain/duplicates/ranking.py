"""Ranking a candidate against existing records, and clustering a whole table."""

from __future__ import annotations

import heapq
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Any

from mspcrm.domain.duplicates.model import (
    AMBIGUOUS,
    LEAD_MARGIN,
    MATCHED,
    MATCHED_MIN_SCORE,
    UNMATCHED,
    BlockingKeys,
    Match,
    Record,
    Scorer,
    Verdict,
    record_id,
)
from mspcrm.errors import ValidationError


def _rank_key(match: Match) -> tuple[float, bool, int]:
    return (-match.score, match.existing_id is None, match.existing_id or 0)


def rank(
    candidate: Record,
    existing_records: Iterable[Record],
    scorer: Scorer,
    *,
    limit: int | None = None,
) -> list[Match]:
    """Matches with a score above 0, best first, ties by id; the candidate's own id is skipped."""
    own_id = record_id(candidate)
    matches = (
        scorer(candidate, record)
        for record in existing_records
        if own_id is None or record_id(record) != own_id
    )
    return rank_matches(matches, limit=limit)


def rank_matches(matches: Iterable[Match], *, limit: int | None = None) -> list[Match]:
    """``rank`` of matches already scored: those above 0, best first, ties by id."""
    kept = sorted((m for m in matches if m.score > 0 or m.verdict != UNMATCHED), key=_rank_key)
    return kept if limit is None else kept[:limit]


def overall_verdict(matches: Sequence[Match]) -> Verdict:
    """'matched' for one clear winner, 'ambiguous' for a close race or a doubtful best."""
    if not matches:
        return UNMATCHED
    ordered = sorted(matches, key=_rank_key)
    best = ordered[0]
    if best.verdict == MATCHED:
        runner_up = ordered[1].score if len(ordered) > 1 else 0.0
        alone = sum(match.verdict == MATCHED for match in ordered) == 1
        return MATCHED if alone and best.score - runner_up >= LEAD_MARGIN else AMBIGUOUS
    return AMBIGUOUS if best.verdict == AMBIGUOUS else UNMATCHED


@dataclass(frozen=True, slots=True)
class DuplicateCheck:
    """The answer to verify-before-create: an overall verdict and the ranked matches."""

    verdict: Verdict
    matches: tuple[Match, ...]

    def to_dict(self) -> dict[str, Any]:
        """The wire shape shared by the API, the SDK and the CLI's JSON output."""
        return {"verdict": self.verdict, "matches": [m.to_dict() for m in self.matches]}


def check_duplicates(
    candidate: Record,
    existing_records: Iterable[Record],
    scorer: Scorer,
    *,
    limit: int | None = None,
) -> DuplicateCheck:
    """rank() and overall_verdict() in one call (the verdict sees every match, not only the top)."""
    return check_matches(rank(candidate, existing_records, scorer), limit=limit)


def check_matches(matches: Iterable[Match], *, limit: int | None = None) -> DuplicateCheck:
    """``check_duplicates`` of matches already scored (each existing record once)."""
    ranked = rank_matches(matches)
    shown = ranked if limit is None else ranked[:limit]
    return DuplicateCheck(verdict=overall_verdict(ranked), matches=tuple(shown))


def check_bounded(
    candidates: Iterable[tuple[float, int, Callable[[], Match]]], *, limit: int
) -> DuplicateCheck:
    """``check_matches`` of candidates (bound, id, score) scored only as far as needed.

    ``bound`` is the most the candidate can score; candidates are scored in order of
    their bound, until none left could be matched or enter the first ``max(limit, 2)``
    (which the overall verdict reads): the same answer as scoring them all."""
    ordered = sorted(candidates, key=lambda item: (-item[0], item[1]))
    keep = max(limit, 2)
    best: list[tuple[float, int]] = []  # heap of the kept (score, -id): the weakest first
    matches = []
    for bound, candidate_id, score in ordered:
        if bound <= 0:
            break  # scores 0 at most: never shown
        if len(best) >= keep and bound < MATCHED_MIN_SCORE and (bound, -candidate_id) < best[0]:
            break
        match = score()
        matches.append(match)
        entry = (match.score, -(match.existing_id or 0))
        if match.score <= 0:
            continue  # never shown
        if len(best) < keep:
            heapq.heappush(best, entry)
        elif entry > best[0]:
            heapq.heapreplace(best, entry)
    return check_matches(matches, limit=limit)


@dataclass(frozen=True, slots=True)
class Pair:
    """Two records of a cluster (left_id < right_id) and how they scored."""

    left_id: int
    right_id: int
    match: Match

    def to_dict(self) -> dict[str, Any]:
        """The wire shape: ids, score, verdict, evidence."""
        body = self.match.to_dict()
        del body["id"]
        return {"leftId": self.left_id, "rightId": self.right_id, **body}


@dataclass(frozen=True, slots=True)
class Cluster:
    """Near-duplicate records joined through matched (or ambiguous) pairs."""

    ids: tuple[int, ...]
    pairs: tuple[Pair, ...]

    @property
    def verdict(self) -> Verdict:
        """'matched' when every joining pair is matched, else 'ambiguous'."""
        return MATCHED if all(p.match.verdict == MATCHED for p in self.pairs) else AMBIGUOUS

    def to_dict(self) -> dict[str, Any]:
        """The wire shape: ids, verdict and the scored pairs."""
        pairs = [pair.to_dict() for pair in self.pairs]
        return {"ids": list(self.ids), "verdict": self.verdict, "pairs": pairs}


def duplicate_pairs(
    records: Iterable[Record],
    scorer: Scorer,
    blocking_keys: BlockingKeys,
    *,
    include_ambiguous: bool = True,
    max_block_size: int | None = None,
) -> list[Pair]:
    """Every blocked pair scoring matched (or ambiguous), ordered by (left_id, right_id).

    Only records sharing a blocking key are compared. ``max_block_size`` skips
    keys shared by more records than that (a switchboard number, a big mail
    domain); the default compares every pair within every block.
    """
    by_id = _index_by_id(records)
    accepted = {MATCHED, AMBIGUOUS} if include_ambiguous else {MATCHED}
    pairs = []
    for left, right in _candidate_pairs(by_id, blocking_keys, max_block_size):
        match = scorer(by_id[left], by_id[right])
        if match.verdict in accepted:
            pairs.append(Pair(left_id=left, right_id=right, match=match))
    return pairs


def cluster(
    records: Iterable[Record],
    scorer: Scorer,
    blocking_keys: BlockingKeys,
    *,
    include_ambiguous: bool = True,
    max_block_size: int | None = None,
) -> list[Cluster]:
    """Groups of near-duplicates: union-find over duplicate_pairs(), ordered by smallest id.

    Ambiguous pairs chain ("Acme" joins "Acme Dental" and "Acme Plumbing"), so
    a whole-table report may prefer ``include_ambiguous=False`` for clusters and
    duplicate_pairs() for the ambiguous links.
    """
    pairs = duplicate_pairs(
        records,
        scorer,
        blocking_keys,
        include_ambiguous=include_ambiguous,
        max_block_size=max_block_size,
    )
    return clusters_of(pairs)


def _index_by_id(records: Iterable[Record]) -> dict[int, Record]:
    by_id: dict[int, Record] = {}
    for record in records:
        key = record_id(record)
        if key is None:
            raise ValidationError("cluster: every record needs an id")
        if key in by_id:
            raise ValidationError(f"cluster: id {key} appears twice")
        by_id[key] = record
    return dict(sorted(by_id.items()))


def _candidate_pairs(
    by_id: dict[int, Record], blocking_keys: BlockingKeys, max_block_size: int | None
) -> list[tuple[int, int]]:
    """Sorted (left, right) id pairs, left < right, that share at least one blocking key."""
    blocks: defaultdict[str, list[int]] = defaultdict(list)
    for key_id, record in by_id.items():  # ids ascending, so each block is sorted
        for key in blocking_keys(record):
            blocks[key].append(key_id)
    pairs: set[tuple[int, int]] = set()
    for ids in blocks.values():
        if max_block_size is None or len(ids) <= max_block_size:
            pairs.update(combinations(ids, 2))
    return sorted(pairs)


def clusters_of(pairs: list[Pair]) -> list[Cluster]:
    """Union-find over the pairs (ordered by ids); the smallest id is each root, clusters
    ordered by it."""
    parent: dict[int, int] = {}

    def find(node: int) -> int:
        parent.setdefault(node, node)
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    for pair in pairs:
        root_a, root_b = find(pair.left_id), find(pair.right_id)
        parent[max(root_a, root_b)] = min(root_a, root_b)
    members: defaultdict[int, list[int]] = defaultdict(list)
    for node in sorted(parent):
        members[find(node)].append(node)
    grouped: defaultdict[int, list[Pair]] = defaultdict(list)
    for pair in pairs:
        grouped[find(pair.left_id)].append(pair)
    return [
        Cluster(ids=tuple(members[root]), pairs=tuple(grouped[root])) for root in sorted(members)
    ]
