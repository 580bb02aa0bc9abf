"""Where workflows run without a transaction keep their journals: beside the profiles.

One JSON file per target and document (``~/.config/mspcrm/journal/onboarding-<key>.json``,
or beside ``MSPCRM_PROFILES_FILE``), readable by its owner only, replaced atomically and
synced on every write, so a run killed at any moment leaves the last step it recorded.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

import orjson

from mspcrm.profiles import profiles_file


def journal_dir() -> Path:
    return profiles_file().parent / "journal"


class FileJournal:
    """A ``JournalStore`` (``workflows/onboarding_journal.py``) in one file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.where = str(path)

    @classmethod
    def for_run(cls, workflow: str, target: str, document: Any) -> FileJournal:
        """The journal of ``workflow`` on ``target`` (its URL and user) for this document."""
        body = orjson.dumps([target, document], option=orjson.OPT_SORT_KEYS, default=str)
        key = hashlib.sha256(body).hexdigest()[:16]
        return cls(journal_dir() / f"{workflow}-{key}.json")

    def read(self) -> dict[str, Any] | None:
        if not self.path.exists():
            return None
        state: dict[str, Any] = orjson.loads(self.path.read_bytes())
        return state

    def write(self, state: dict[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        temporary = self.path.with_suffix(".tmp")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as out:
            out.write(orjson.dumps(state, option=orjson.OPT_INDENT_2))
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, self.path)

    def remove(self) -> None:
        self.path.unlink(missing_ok=True)


class MergeLog:
    """The merges made on one target over its plain API (``merge undo`` reads them here)."""

    def __init__(self, path: Path) -> None:
        self.file = FileJournal(path)

    @classmethod
    def for_target(cls, target: str) -> MergeLog:
        key = hashlib.sha256(target.encode()).hexdigest()[:16]
        return cls(journal_dir() / f"merges-{key}.json")

    def _all(self) -> dict[str, Any]:
        return self.file.read() or {"merges": []}

    def add(self, entry: dict[str, Any]) -> int:
        state = self._all()
        entry = {**entry, "id": len(state["merges"]) + 1}
        state["merges"].append(entry)
        self.file.write(state)
        return int(entry["id"])

    def get(self, merge_id: int) -> dict[str, Any] | None:
        found = [m for m in self._all()["merges"] if m["id"] == merge_id]
        return found[0] if found else None

    def update(self, merge_id: int, **values: Any) -> None:
        state = self._all()
        for entry in state["merges"]:
            if entry["id"] == merge_id:
                entry.update(values)
        self.file.write(state)
