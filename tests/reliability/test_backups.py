"""``mspcrm backup`` / ``mspcrm restore``: a restored backup passes PRAGMA integrity_check and
holds the same data; restore refuses to overwrite without --force and refuses a damaged file;
a PostgreSQL URL gets pg_dump guidance."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from mspcrm.cli.main import cli
from mspcrm.config import Settings
from mspcrm.domain.entities import COMPANY
from mspcrm.services.context import SYSTEM
from mspcrm.services.crm import build_services


def dump(path: Path) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(path)
    try:
        return list(conn.execute("SELECT * FROM companies ORDER BY id"))
    finally:
        conn.close()


def test_backup_and_restore_round_trip(tmp_path: Path) -> None:
    database = tmp_path / "crm.db"
    services = build_services(Settings(database_url=str(database)))
    for i in range(50):
        services.records.create(COMPANY, {"companyName": f"Backup {i}", "companyType": 1}, SYSTEM)
    before = dump(database)
    runner = CliRunner()
    backup_file = tmp_path / "crm.backup"
    done = runner.invoke(cli, ["backup", str(backup_file), "--database", str(database)])
    assert done.exit_code == 0, done.output
    assert "integrity ok" in done.output
    services.records.create(COMPANY, {"companyName": "After backup", "companyType": 1}, SYSTEM)
    services.close()
    refused = runner.invoke(cli, ["restore", str(backup_file), "--database", str(database)])
    assert refused.exit_code != 0 and "--force" in refused.output
    restored = runner.invoke(
        cli, ["restore", str(backup_file), "--force", "--database", str(database)]
    )
    assert restored.exit_code == 0, restored.output
    conn = sqlite3.connect(database)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()
    assert dump(database) == before


def test_restore_refuses_a_damaged_or_foreign_file(tmp_path: Path) -> None:
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"SQLite format 3\x00" + b"\x07" * 5000)
    result = CliRunner().invoke(
        cli, ["restore", str(junk), "--force", "--database", str(tmp_path / "t.db")]
    )
    assert result.exit_code != 0
    assert not (tmp_path / "t.db").exists() or (tmp_path / "t.db").stat().st_size == 0


@pytest.mark.parametrize("command", ["backup", "restore"])
def test_postgresql_gets_pg_dump_guidance(tmp_path: Path, command: str) -> None:
    file = tmp_path / "x.dump"
    file.write_bytes(b"")
    result = CliRunner().invoke(
        cli, [command, str(file), "--database", "postgresql://crm@db.internal/crm"]
    )
    assert result.exit_code == 1
    assert "pg_dump" in result.output and "pg_restore" in result.output
