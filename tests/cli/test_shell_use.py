"""The CLI as people use it from a shell: piped, with options before the command, in the
wrong folder. Real processes, a real demo database."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from mspcrm.config import Settings
from mspcrm.services.crm import build_services
from mspcrm.services.demo import load_demo

MSPCRM = str(Path(sys.executable).parent / "mspcrm")


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "mspcrm.db"
    services = build_services(Settings(database_url=str(path)))
    try:
        load_demo(services)
    finally:
        services.close()
    return path


def mspcrm(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env_free = {"PATH": str(Path(sys.executable).parent), "HOME": str(cwd)}
    return subprocess.run(
        [MSPCRM, *args], cwd=cwd, capture_output=True, text=True, timeout=60, env=env_free
    )


def test_piped_tables_are_plain_tab_separated_lines(demo_db: Path) -> None:
    done = mspcrm("companies", "search", "acme", cwd=demo_db.parent)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].split("\t")[:2] == ["id", "companyName"]
    assert lines[1].split("\t")[:2] == ["1", "Acme Corporation"]
    assert "Acme Corporation - West" in done.stdout  # never cut to fit a width
    assert not any(ch in done.stdout for ch in "┏━│…")


def test_get_json_is_one_object_and_scan_csv_is_only_data(demo_db: Path) -> None:
    item = json.loads(mspcrm("companies", "get", "1", "--json", cwd=demo_db.parent).stdout)
    assert item["id"] == 1 and item["companyName"] == "Acme Corporation"
    scan = mspcrm("duplicates", "scan", "companies", "--csv", cwd=demo_db.parent)
    assert scan.stdout.startswith("cluster,ids,names,verdict"), scan.stdout[:80]


def test_connection_options_before_the_command_and_h_for_help(
    demo_db: Path, tmp_path: Path
) -> None:
    before = mspcrm("--database", str(demo_db), "companies", "get", "3", "--json", cwd=tmp_path)
    assert before.returncode == 0, before.stderr
    assert json.loads(before.stdout)["companyName"] == "Globex Health"
    assert (
        "Usage: mspcrm companies search" in mspcrm("companies", "search", "-h", cwd=tmp_path).stdout
    )


def test_a_command_in_the_wrong_folder_creates_no_database(tmp_path: Path) -> None:
    done = mspcrm("companies", "search", "acme", cwd=tmp_path)
    assert done.returncode == 3
    assert "No database here" in done.stderr and "--database" in done.stderr
    assert not (tmp_path / "mspcrm.db").exists()


def test_update_json_prints_the_record_as_it_is_now(demo_db: Path) -> None:
    done = mspcrm("companies", "update", "6", "phone=555-0142", "--json", cwd=demo_db.parent)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["phone"] == "555-0142"
