"""The result shapes of duplicate scoring: evidence, a scored match, verdicts, thresholds."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal

from mspcrm.errors import ValidationError

Verdict = Literal["matched", "ambiguous", "unmatched"]
MATCHED: Final = "matched"
AMBIGUOUS: Final = "ambiguous"
UNMATCHED: Final = "unmatched"

MATCHED_MIN_SCORE: Final = 85.0  # one strong identity signal (exact name, same e-mail) alone
AMBIGUOUS_MIN_SCORE: Final = 60.0  # one medium signal alone, or a strong one with a conflict
LEAD_MARGIN: Final = 10.0  # a "matched" best must lead the runner-up by this much
MAX_SCORE: Final = 100.0


@dataclass(frozen=True, slots=True)
class Evidence:
    """One signal that agreed (weight > 0), conflicted (< 0) or was ignored (0)."""

    signal: str
    detail: str
    weight: float

    def to_dict(self) -> dict[str, Any]:
        """The wire shape: {"signal", "detail", "weight"}."""
        return {"signal": self.signal, "detail": self.detail, "weight": self.weight}


@dataclass(frozen=True, slots=True)
class Match:
    """How one existing record compares with a candidate: score, verdict and the evidence."""

    existing_id: int | None
    score: float
    verdict: Verdict
    evidence: tuple[Evidence, ...]

    @property
    def signals(self) -> tuple[str, ...]:
        """The evidence's signal names, in evidence order."""
        return tuple(item.signal for item in self.evidence)

    def to_dict(self) -> dict[str, Any]:
        """The wire shape shared by the API, the SDK and the CLI's JSON output."""
        return {
            "id": self.existing_id,
            "score": self.score,
            "verdict": self.verdict,
            "evidence": [item.to_dict() for item in self.evidence],
        }


Record = Mapping[str, Any]
Scorer = Callable[[Record, Record], Match]
BlockingKeys = Callable[[Record], frozenset[str]]


def verdict_for(score: float) -> Verdict:
    """The verdict a score earns against the module thresholds."""
    if score >= MATCHED_MIN_SCORE:
        return MATCHED
    if score >= AMBIGUOUS_MIN_SCORE:
        return AMBIGUOUS
    return UNMATCHED


def build_match(existing_id: int | None, evidence: Iterable[Evidence]) -> Match:
    """A Match whose score is the sum of the evidence weights, clamped to 0..100, 1 decimal."""
    items = tuple(evidence)
    total = sum(item.weight for item in items)
    score = round(min(MAX_SCORE, max(0.0, total)), 1)
    return Match(existing_id=existing_id, score=score, verdict=verdict_for(score), evidence=items)


def record_id(record: Record) -> int | None:
    """The record's integer ``id`` (None when it has none, as a candidate before create)."""
    return as_record_id(record.get("id"))


def as_record_id(value: Any) -> int | None:
    """An ``id`` value as an integer (None stays None); anything else is a ValidationError."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValidationError(f"id {value!r} is not an integer")
    try:
        return int(value)
    except ValueError:
        raise ValidationError(f"id {value!r} is not an integer") from None


def field_text(record: Record, name: str) -> str | None:
    """The field's value as text, None when absent, null or blank."""
    value = record.get(name)
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def is_inactive(value: Any) -> bool:
    """An ``isActive`` value given and false (False, 0, '0', 'false'); None is not."""
    return value is not None and str(value).strip().lower() in ("0", "false")
