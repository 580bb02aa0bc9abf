"""The SDK's generated module matches the declarations, and the SDK knows every entity."""

from __future__ import annotations

from pathlib import Path

from mspcrm.domain.entities import build_registry
from mspcrm.domain.sdk_module import render
from mspcrm.sdk import declared, wire

GENERATED = Path(declared.__file__)


def test_the_generated_module_matches_the_declarations() -> None:
    assert GENERATED.read_text() == render(build_registry()), (
        "src/mspcrm/sdk/declared.py is stale: run "
        "python -m mspcrm.domain.sdk_module > src/mspcrm/sdk/declared.py"
    )


def test_every_declared_entity_is_known_by_name_and_path() -> None:
    for entity in build_registry():
        assert wire.known_path(entity.name) == entity.path
        assert wire.known_path(entity.path.lower()) == entity.path
        typed = getattr(declared, entity.name)
        assert "id" in typed.__annotations__
        assert set(typed.__annotations__) >= {f.name for f in entity.fields if not f.udf}


def test_autotask_entities_beyond_ours_still_resolve() -> None:
    assert wire.known_path("tickets") == "Tickets"
    assert wire.known_path("time_entries") == "TimeEntries"
