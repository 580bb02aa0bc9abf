"""Merge and undo over the plain Autotask API (a live ``serve --compat autotask``): the same
plan and outcome as on a local database; the log kept beside the profiles; an undo
refused, naming what changed, once the records moved on."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from tests.workflows.conftest import StandIn
from tests.workflows.test_plain_api import both, run


@pytest.fixture(autouse=True)
def journals(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("MSPCRM_PROFILES_FILE", str(tmp_path / "config" / "profiles.json"))
    return tmp_path / "config" / "journal"


def test_merge_and_undo_are_identical(stand_in: StandIn, journals: Path) -> None:
    east, west = str(stand_in.ids["east"]), str(stand_in.ids["west"])
    code, text = both(stand_in, "merge", "companies", east, west, "--dry-run", "--json")
    assert code == 0
    plan = orjson.loads(text)
    assert plan["moves"] and plan["retire"], plan
    code, text = both(stand_in, "merge", "companies", east, west, "--yes", "--json")
    assert code == 0, text
    merge_id = str(orjson.loads(text)["mergeID"])
    assert list(journals.glob("merges-*.json")), "the tenant's merge log is kept locally"
    shown = [run(["merge", "show", merge_id, *where]) for where in
             (["--database", stand_in.local], stand_in.remote_args())]  # fmt: skip
    local, remote = ({**orjson.loads(text), "createdAt": None} for _, text in shown)
    assert local == remote
    both(stand_in, "companies", "tree", str(stand_in.ids["holding"]), "--contacts")
    both(stand_in, "companies", "rollup", str(stand_in.ids["holding"]), "--json")
    code, text = both(stand_in, "merge", "undo", merge_id)
    assert code == 0 and "values restored" in text, text
    assert both(stand_in, "merge", "undo", merge_id)[0] == 4  # already undone
    both(stand_in, "companies", "tree", str(stand_in.ids["holding"]), "--contacts")
    both(stand_in, "companies", "rollup", str(stand_in.ids["holding"]), "--json")
    both(stand_in, "merge", "contacts", str(stand_in.ids["pat"]), str(stand_in.ids["pat2"]),
         "--dry-run", "--json")  # fmt: skip


def test_undo_is_refused_once_the_records_moved_on(stand_in: StandIn) -> None:
    east, west = str(stand_in.ids["east"]), str(stand_in.ids["west"])
    code, text = both(stand_in, "merge", "companies", east, west, "--yes", "--json")
    merge_id = str(orjson.loads(text)["mergeID"])
    code, _ = both(stand_in, "companies", "update", west, "companyName=West Renamed")
    assert code == 0
    code, text = both(stand_in, "merge", "undo", merge_id)
    assert code == 4, text
    assert "cannot be undone: records changed since" in text
    assert "companyName is now 'West Renamed'" in text
