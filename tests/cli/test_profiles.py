"""Profiles: a private file in the platform's config folder, secrets in the system keyring
when one is there (a stand-in backend here: the real one is a boundary we don't own)."""

from __future__ import annotations

import json
import stat
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from click.testing import CliRunner
from keyring.backend import KeyringBackend

from mspcrm.cli.main import cli
from mspcrm.profiles import get_profile, profiles_file

REMOTE = ["--url", "https://crm.example/ATServicesRest/", "--username", "api@msp.example"]


class MemoryKeyring(KeyringBackend):
    priority = 10  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.store: dict[tuple[str, str], str] = {}

    def set_password(self, service: str, username: str, password: str) -> None:
        self.store[(service, username)] = password

    def get_password(self, service: str, username: str) -> str | None:
        return self.store.get((service, username))

    def delete_password(self, service: str, username: str) -> None:
        self.store.pop((service, username), None)


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("MSPCRM_PROFILES_FILE", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    return tmp_path / "config"


@pytest.fixture
def system_keyring() -> Iterator[MemoryKeyring]:
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        keyring.set_keyring(previous)


def add(name: str, *extra: str) -> str:
    result = CliRunner().invoke(cli, ["profiles", "add", name, *REMOTE, *extra])
    assert result.exit_code == 0, result.output
    return result.output


def test_profiles_live_in_a_private_config_folder(config: Path) -> None:
    add("tenant", "--secret", "s3cret", "--integration-code", "CODE")
    path = profiles_file()
    assert path == config / "mspcrm" / "profiles.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert get_profile("tenant").secret == "s3cret"  # no keyring here: in the file


def test_the_secret_goes_to_the_keyring_when_there_is_one(
    config: Path, system_keyring: MemoryKeyring
) -> None:
    output = add("tenant", "--secret", "s3cret", "--integration-code", "CODE")
    assert "system keyring" in output
    assert "s3cret" not in profiles_file().read_text()
    assert system_keyring.store[("mspcrm", "tenant")] == "s3cret"
    assert get_profile("tenant").secret == "s3cret"
    listed = json.loads(CliRunner().invoke(cli, ["profiles", "list", "--json"]).output)
    assert listed == [
        {
            "name": "tenant",
            "target": "https://crm.example/ATServicesRest/",
            "username": "api@msp.example",
            "secret": "keyring",
        }
    ]
    assert CliRunner().invoke(cli, ["profiles", "remove", "tenant"]).exit_code == 0
    assert ("mspcrm", "tenant") not in system_keyring.store
