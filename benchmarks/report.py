"""Machine and version facts, and the Markdown table of targets (met / missed)."""

from __future__ import annotations

import math
import os
import platform
import statistics
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any

START = "<!-- bench:table -->"
END = "<!-- /bench:table -->"
PACKAGES = ("mspcrm", "starlette", "uvicorn", "sqlalchemy", "psycopg", "orjson", "uvloop")


def machine_info() -> dict[str, Any]:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_mb": _memory_mb(),
        "load_average": os.getloadavg(),
    }


def _memory_mb() -> int | None:
    try:
        first = Path("/proc/meminfo").read_text().splitlines()[0]
        return int(first.split()[1]) // 1024
    except (OSError, IndexError, ValueError):
        return None


def versions() -> dict[str, str]:
    out = {}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "-"
    out["sqlite"] = __import__("sqlite3").sqlite_version
    try:
        done = subprocess.run(
            ["psql", "--version"], capture_output=True, text=True, timeout=5, check=False
        )
        out["psql"] = done.stdout.strip()
    except OSError:
        out["psql"] = "-"
    return out


def _f(value: Any, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def _met(ok: bool | None) -> str:
    return "-" if ok is None else ("met" if ok else "**missed**")


Row = tuple[str, str, str, str, str, str]


def _engine_rows(label: str, r: dict[str, Any]) -> list[Row]:
    rows: list[Row] = []
    for c in (1, 32):
        g = r.get(f"get_c{c}")
        if not g:
            continue
        fig = f"{_f(g['rps'], 0)} req/s, p99 {_f(g['p99_ms'], 2)} ms"
        base = f"{_f(g['baseline_rps'], 0)} req/s, p99 {_f(g['baseline_p99_ms'], 2)} ms"
        ok = g["ratio"] >= 0.6 and (c != 32 or g["p99_ms"] < 5)
        target = ">= 0.60x baseline" + ("; p99 < 5 ms" if c == 32 else "")
        rows.append(
            (f"{label} GET by id, {c} conn", fig, base, _f(g["ratio"], 2), target, _met(ok))
        )
    for name, p in r.get("pages", {}).items():
        fig = f"p50 {_f(p['p50_ms'], 1)} ms, p95 {_f(p['p95_ms'], 1)} ms ({p.get('rows')} rows)"
        base = f"p50 {_f(p['baseline_p50_ms'], 1)} ms; raw fetch {_f(p['raw_fetch_ms'], 1)} ms"
        ok = p["ratio"] <= 1.5
        target = "<= 1.5x same SQL"
        if name in ("contains_rare", "beginsWith_rare"):
            ok = ok and p["p95_ms"] <= 20
            target += "; p95 <= 20 ms"
        rows.append((f"{label} page: {name}", fig, base, _f(p["ratio"], 2), target, _met(ok)))
    pg = r.get("paging")
    if pg:
        fig = (
            f"page {pg.get('late_page')} of {pg['pages']}: p50 {_f(pg.get('late_p50_ms'), 1)} ms "
            f"({pg['rows']:,} rows walked in {_f(pg['walk_seconds'], 1)} s)"
        )
        base = f"page 1 p50 {_f(pg.get('first_p50_ms'), 1)} ms"
        ok = None if math.isnan(pg["ratio"]) else pg["ratio"] <= 1.2
        rows.append(
            (f"{label} paging (keyset)", fig, base, _f(pg["ratio"], 2), "<= 1.2x page 1", _met(ok))
        )
    for c, g in sorted(r.get("diagnostic_no_limits", {}).items()):
        fig = f"{_f(g['rps'], 0)} req/s, p99 {_f(g['p99_ms'], 2)} ms"
        base = f"{_f(g['baseline_rps'], 0)} req/s"
        what = f"{label} diagnostic: GET by id, {c.removeprefix('get_c')} conn, limit check off"
        rows.append((what, fig, base, _f(g["ratio"], 2), "(not shipped)", "-"))
    m = r.get("mixed_c16")
    if m:
        fig = f"{_f(m['rps'], 0)} req/s, p99 {_f(m['p99_ms'], 1)} ms"
        rows.append(
            (
                f"{label} mixed CRUD 80/15/5, 16 conn",
                fig,
                "GET by id, 16 conn",
                _f(m["ratio"], 2),
                "-",
                "-",
            )
        )
    w = r.get("writes")
    if w:
        fig = f"{_f(w['rps'], 0)} creates/s"
        base = f"{_f(w['baseline_rps'], 0)} raw INSERTs/s"
        ok = w["rps"] >= 2000
        rows.append(
            (
                f"{label} durable writes (4 conn)",
                fig,
                base,
                _f(w["ratio"], 2),
                ">= 2,000/s",
                _met(ok),
            )
        )
    d = r.get("duplicate_check")
    if d:
        fig = f"p95 {_f(d['p95_ms'], 1)} ms (p50 {_f(d['p50_ms'], 1)})"
        base = f"GET by id p95 {_f(d['baseline_p95_ms'], 2)} ms"
        rows.append(
            (
                f"{label} duplicate check",
                fig,
                base,
                _f(d["ratio"], 1),
                "p95 <= 30 ms",
                _met(d["p95_ms"] <= 30),
            )
        )
    s = r.get("scan")
    if s:
        fig = (
            f"{_f(s['seconds'], 2)} s for {s['rows']:,} ({_f(s['seconds_per_million'], 0)} s/1M); "
            f"recall {_f(s['brute_force_recall'], 3)} brute force, "
            f"{_f(s['planted_recall'], 3)} planted"
        )
        ok = s["seconds_per_million"] <= 60 and (s["brute_force_recall"] or 0) >= 0.95
        rows.append(
            (f"{label} whole-table scan", fig, "-", "-", "<= 60 s/1M; recall >= 0.95", _met(ok))
        )
    rss = r.get("rss_mb")
    if rss:
        fig = f"{_f(rss.get('VmRSS'))} MB (peak {_f(rss.get('VmHWM'))} MB)"
        base = (
            f"{_f(r.get('baseline_rss_mb', {}).get('VmRSS'))} MB"
            if r.get("baseline_rss_mb")
            else "-"
        )
        rows.append(
            (f"{label} server RSS", fig, base, "-", "< 300 MB", _met(rss.get("VmHWM", 0) < 300))
        )
    return rows


def _import_rows(results: dict[str, Any]) -> list[Row]:
    rows: list[Row] = []
    for engine, limit in (("sqlite", 15), ("postgresql", 20)):
        i = results.get("import", {}).get(engine)
        if not i:
            continue
        fig = (
            f"{i['rows']:,} rows in {_f(i['seconds'], 2)} s = {_f(i['rows_per_second'], 0)}/s "
            f"({_f(i['seconds_per_million'], 0)} s/1M; {i['stored']:,} stored; "
            f"peak RSS {_f(i['peak_rss_mb_children'], 0)} MB)"
        )
        ok = i["returncode"] == 0 and i["seconds_per_million"] <= limit
        rows.append((f"{engine} import (CSV)", fig, "-", "-", f"1M in <= {limit} s", _met(ok)))
    return rows


def noise(results: dict[str, Any]) -> str:
    """How much the baseline itself moved between repetitions (coefficient of variation)."""
    parts = []
    for key in ("get_c1", "get_c32"):
        g = results.get("sqlite", {}).get(key)
        if g and len(g["samples"]) > 1:
            values = [s["baseline"]["rps"] for s in g["samples"]]
            cv = statistics.pstdev(values) / statistics.mean(values) * 100
            spread = (max(g["ratios"]) - min(g["ratios"])) / statistics.median(g["ratios"]) * 100
            parts.append(
                f"{key}: baseline req/s varied {cv:.0f}% (CV), the ratio {spread:.0f}% (range)"
            )
    return "; ".join(parts) or "one repetition: noise not measured"


def markdown(results: dict[str, Any]) -> str:
    size = results["size"]
    machine = results["machine"]
    lines = [
        f"Run `{results['run']}`: size {size['name']} ({size['companies']:,} companies, "
        f"{size['contacts']:,} contacts, {size['locations']:,} locations, "
        f"{size['opportunities']:,} opportunities); {machine['cores']} cores ({machine['cpu']}), "
        f"load average {results['load_average_start'][0]:.1f} at start, "
        f"{results['load_average_end'][0]:.1f} at end; {results['config']['reps']} repetitions, "
        f"medians. Noise: {noise(results)}.",
        "",
        "| workload | mspcrm | baseline | ratio | target | |",
        "|---|---|---|---|---|---|",
    ]
    rows = _engine_rows("SQLite", results.get("sqlite", {}))
    pg = results.get("postgresql", {})
    if "skipped" in pg:
        lines.insert(1, f"\nPostgreSQL skipped: {pg['skipped']}.")
    else:
        rows += _engine_rows("PostgreSQL", pg)
    rows += _import_rows(results)
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def write_docs(path: Path, table: str) -> None:
    """Replace the generated table in ``path`` (between the markers), keeping the prose."""
    block = f"{START}\n{table}{END}"
    text = path.read_text() if path.exists() else f"# Performance\n\n{START}\n{END}\n"
    if START in text and END in text:
        head, rest = text.split(START, 1)
        _, tail = rest.split(END, 1)
        text = f"{head}{block}{tail}"
    else:
        text = f"{text.rstrip()}\n\n{block}\n"
    path.write_text(text)
