"""The benchmark suite runs end to end on a tiny data set (no timing is asserted).

``make bench`` is never a timed unit test; this only proves that the generator, the
baseline app, both servers, every workload and the report still work together.
"""

from __future__ import annotations

import json
from pathlib import Path

from benchmarks import report, run


def test_benchmark_runner_on_a_tiny_data_set(tmp_path: Path) -> None:
    docs = tmp_path / "performance.md"
    docs.write_text(
        "# Performance\n\nprose kept\n\n<!-- bench:table -->\nold\n<!-- /bench:table -->\n"
    )
    results = run.main(
        [
            "--companies", "300",
            "--reps", "1",
            "--requests", "60",
            "--seconds", "1",
            "--no-postgres",
            "--no-import",
            "--results", str(tmp_path / "results"),
            "--docs", str(docs),
        ]
    )  # fmt: skip
    sqlite = results["sqlite"]
    for key in ("get_c1", "get_c32", "writes", "duplicate_check", "mixed_c16"):
        sample = sqlite[key]["samples"][0]
        assert sample["mspcrm"]["errors"] == 0, (key, sample)
        assert sample["mspcrm"]["requests"] > 0 and sample["baseline"]["requests"] > 0
    assert sqlite["pages"]["eq"]["rows"] > 0
    assert sqlite["paging"]["rows"] == 301  # the root company and 300 generated ones
    assert sqlite["scan"]["planted_pairs"] == 3
    written = json.loads(next((tmp_path / "results").glob("*/results.json")).read_text())
    assert written["machine"]["cores"] and written["versions"]["mspcrm"]
    text = docs.read_text()
    assert "prose kept" in text and "old" not in text
    assert "SQLite GET by id, 32 conn" in text and report.END in text
