"""Data-set sizes: S for a quick run, L for the targets of issue 6, tiny ones for the smoke test."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Size:
    name: str
    companies: int
    contacts: int
    locations: int
    opportunities: int
    duplicate_rate: float = 0.01

    @property
    def planted(self) -> int:
        return max(1, round(self.companies * self.duplicate_rate))


def proportional(name: str, companies: int) -> Size:
    """2 contacts, 1.2 locations and 0.3 opportunities per company (the L proportions)."""
    return Size(
        name=name,
        companies=companies,
        contacts=companies * 2,
        locations=companies * 6 // 5,
        opportunities=companies * 3 // 10,
    )


SIZES = {"S": proportional("S", 10_000), "L": proportional("L", 1_000_000)}


def size_named(name: str, companies: int | None = None) -> Size:
    if companies is not None:
        return proportional(f"{name}{companies}", companies)
    try:
        return SIZES[name.upper()]
    except KeyError:
        raise SystemExit(f"unknown size {name!r}: use S, L or --companies N") from None
