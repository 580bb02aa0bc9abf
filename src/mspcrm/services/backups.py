"""``mspcrm backup`` and ``mspcrm restore``: SQLite's online backup API; pg_dump guidance.

The online backup copies a consistent snapshot page by page while the server keeps
serving (readers and writers are not stopped). A restore first checks the backup
(``PRAGMA integrity_check`` and a migrated schema), refuses to overwrite a database
that holds data unless forced, copies, then checks the result again.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

from mspcrm.errors import ConflictError, ValidationError
from mspcrm.store.database import normalise_url

PG_GUIDANCE = """\
This database is PostgreSQL: back it up with PostgreSQL's own tools, e.g.
  pg_dump --format=custom --file {file} '{url}'
and restore into an empty database with
  pg_restore --clean --if-exists --no-owner --dbname '{url}' {file}
(then `mspcrm db upgrade`). For point-in-time recovery use WAL archiving
(pg_basebackup + archive_command); see the PostgreSQL manual, "Backup and Restore"."""


@dataclass(frozen=True)
class BackupResult:
    path: Path
    pages: int
    integrity: str


def sqlite_path(database_url: str) -> Path | None:
    """The file of a SQLite URL, None for any other database."""
    url = normalise_url(database_url)
    if not url.startswith("sqlite:///"):
        return None
    return Path(url.removeprefix("sqlite:///"))


def guidance(database_url: str, file: str) -> str:
    shown = database_url.split("@")[-1] if "@" in database_url else database_url
    return PG_GUIDANCE.format(file=file, url=f"postgresql://…@{shown}")


def integrity(path: Path) -> str:
    """``ok``, or what ``PRAGMA integrity_check`` found."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        rows = conn.execute("PRAGMA integrity_check").fetchall()
    finally:
        conn.close()
    return "; ".join(str(r[0]) for r in rows)


def _copy(source: Path, target: Path) -> int:
    src = sqlite3.connect(str(source))
    dst = sqlite3.connect(str(target))
    try:
        src.backup(dst, pages=1024)
        return int(dst.execute("PRAGMA page_count").fetchone()[0])
    finally:
        dst.close()
        src.close()


def backup(database_url: str, target: Path, *, force: bool = False) -> BackupResult:
    source = _require_sqlite(database_url, target)
    if not source.exists():
        raise ValidationError(f"There is no database at {source}")
    if target.exists() and not force:
        raise ConflictError(f"{target} exists: choose another file or pass --force")
    target.unlink(missing_ok=True)
    pages = _copy(source, target)
    return BackupResult(target, pages, integrity(target))


def restore(database_url: str, source: Path, *, force: bool = False) -> BackupResult:
    target = _require_sqlite(database_url, source)
    if not source.exists():
        raise ValidationError(f"There is no backup at {source}")
    found = integrity(source)
    if found != "ok":
        raise ValidationError(f"{source} fails the integrity check: {found}")
    if not _has_schema(source):
        raise ValidationError(f"{source} is not an mspcrm database (no migrated schema)")
    if _has_schema(target) and not force:
        raise ConflictError(
            f"{target} already holds an mspcrm database: pass --force to replace it"
        )
    pages = _copy(source, target)
    checked = integrity(target)
    if checked != "ok":
        raise ValidationError(f"The restored {target} fails the integrity check: {checked}")
    return BackupResult(target, pages, checked)


def _require_sqlite(database_url: str, file: Path) -> Path:
    path = sqlite_path(database_url)
    if path is None:
        raise ValidationError(guidance(database_url, str(file)))
    return path


def _has_schema(path: Path) -> bool:
    if not path.exists() or path.stat().st_size == 0:
        return False
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        query = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'"
        return conn.execute(query).fetchone() is not None
    finally:
        conn.close()
