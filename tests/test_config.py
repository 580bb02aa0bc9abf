"""Settings from MSPCRM_* variables: typed, named when wrong, and handed to workers whole."""

from __future__ import annotations

import pytest

from mspcrm import config
from mspcrm.config import Settings, load_settings, settings_environment


def test_settings_survive_the_trip_through_the_environment() -> None:
    chosen = Settings(
        database_url="/srv/crm.db", compat="autotask", port=9000, query_timeout_seconds=2.5
    )
    assert load_settings(settings_environment(chosen)) == chosen


def test_a_bad_value_names_its_variable() -> None:
    with pytest.raises(ValueError, match="MSPCRM_PORT must be int, not 'eighty'"):
        load_settings({"MSPCRM_PORT": "eighty"})


@pytest.mark.parametrize(
    ("raw", "value"), [("true", True), ("1", True), ("no", False), ("", False)]
)
def test_booleans_read_as_people_write_them(raw: str, value: bool) -> None:
    assert config._parse("on", raw, bool) is value
    with pytest.raises(ValueError, match="MSPCRM_ON must be true or false"):
        config._parse("on", "maybe", bool)
