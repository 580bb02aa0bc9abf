"""``benchmarks/web_pages.py`` runs end to end on a tiny data set (no timing asserted)."""

from __future__ import annotations

from pathlib import Path

from benchmarks.web_pages import measure


def test_page_time_measurement_runs(tmp_path: Path) -> None:
    results = measure(companies=60, reps=1, folder=tmp_path)
    assert len(results) == 4 and all(ms > 0 for ms in results.values())
