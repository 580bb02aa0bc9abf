"""Saved connection profiles for the CLI and the agent interface.

A JSON file in the platform's config folder (``~/.config/mspcrm/profiles.json`` on
Linux, ``~/Library/Application Support/mspcrm`` on macOS, ``%APPDATA%\\mspcrm`` on
Windows; or ``MSPCRM_PROFILES_FILE``), the folder and the file readable by their owner
only, mapping a name to either a local database or a remote Autotask-compatible server.
A remote profile's secret goes to the system keyring when one is available (macOS
Keychain, Windows Credential Locker, the Secret Service on a Linux desktop) and into the
file only where there is none.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import orjson
import platformdirs

from mspcrm.errors import NotFoundError, ValidationError

KEYRING_SERVICE = "mspcrm"
IN_KEYRING = "secret_in_keyring"


@dataclass(frozen=True)
class Profile:
    name: str
    url: str | None = None  # a remote server (ours or an Autotask zone / host)
    username: str | None = None
    secret: str | None = None
    integration_code: str | None = None
    database: str | None = None  # a local database instead

    def __post_init__(self) -> None:
        if bool(self.url) == bool(self.database):
            raise ValidationError("A profile names either --url (remote) or --database (local)")
        if self.url and not (self.username and self.secret and self.integration_code):
            raise ValidationError(
                "A remote profile needs --username, --secret and --integration-code"
            )


def profiles_file() -> Path:
    configured = os.environ.get("MSPCRM_PROFILES_FILE")
    if configured:
        return Path(configured)
    return Path(platformdirs.user_config_dir("mspcrm", appauthor=False)) / "profiles.json"


def load_profiles() -> dict[str, Profile]:
    path = profiles_file()
    if not path.exists():
        return {}
    raw = orjson.loads(path.read_bytes())
    return {name: _profile(name, body) for name, body in raw.items()}


def _profile(name: str, body: dict[str, Any]) -> Profile:
    values = {k: v for k, v in body.items() if k not in ("name", IN_KEYRING)}
    if body.get(IN_KEYRING):
        values["secret"] = keyring_get(name)
        if values["secret"] is None:
            raise NotFoundError(
                f"Profile {name!r} keeps its secret in the system keyring, which has none "
                f"for it now: `mspcrm profiles add {name} ...` again"
            )
    return Profile(name=name, **values)


def save_profile(profile: Profile) -> Path:
    found = load_profiles()
    found[profile.name] = profile
    return _write(found, keyring_for=profile.name)


def get_profile(name: str) -> Profile:
    found = load_profiles().get(name)
    if found is None:
        raise NotFoundError(f"No profile named {name!r}: see `mspcrm profiles list`")
    return found


def remove_profile(name: str) -> None:
    found = load_profiles()
    if name not in found:
        raise NotFoundError(f"No profile named {name!r}")
    del found[name]
    _write(found)
    keyring_delete(name)


def secret_storage(name: str) -> str:
    """Where a profile's secret is kept: ``keyring`` or ``file``."""
    path = profiles_file()
    raw = orjson.loads(path.read_bytes()) if path.exists() else {}
    return "keyring" if raw.get(name, {}).get(IN_KEYRING) else "file"


def _write(profiles: dict[str, Profile], *, keyring_for: str | None = None) -> Path:
    path = profiles_file()
    previous = orjson.loads(path.read_bytes()) if path.exists() else {}
    body: dict[str, Any] = {}
    for name, profile in sorted(profiles.items()):
        entry = {k: v for k, v in asdict(profile).items() if v is not None and k != "name"}
        in_keyring = previous.get(name, {}).get(IN_KEYRING) and name != keyring_for
        if name == keyring_for and profile.secret and keyring_set(name, profile.secret):
            in_keyring = True
        if in_keyring:
            entry.pop("secret", None)
            entry[IN_KEYRING] = True
        body[name] = entry
    _private_folder(path.parent)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(orjson.dumps(body, option=orjson.OPT_INDENT_2))
    os.chmod(path, 0o600)
    return path


def _private_folder(folder: Path) -> None:
    created = not folder.exists()
    folder.mkdir(parents=True, exist_ok=True)
    if created:
        os.chmod(folder, 0o700)


# ---- the system keyring, when there is one ----------------------------------------------
def _keyring() -> Any | None:
    """The keyring module when a real backend is there (not the 'fail' or 'null' ones)."""
    try:
        import keyring
        from keyring.backends import fail
    except ImportError:  # pragma: no cover - a dependency, but never required to work
        return None
    backend = keyring.get_keyring()
    usable = not isinstance(backend, fail.Keyring) and getattr(backend, "priority", 0) > 0
    return keyring if usable else None


def keyring_set(name: str, secret: str) -> bool:
    found = _keyring()
    if found is None:
        return False
    try:
        found.set_password(KEYRING_SERVICE, name, secret)
    except Exception:  # a locked or broken keyring: keep the secret in the file
        return False
    return True


def keyring_get(name: str) -> str | None:
    found = _keyring()
    if found is None:
        return None
    try:
        value = found.get_password(KEYRING_SERVICE, name)
    except Exception:
        return None
    return None if value is None else str(value)


def keyring_delete(name: str) -> None:
    found = _keyring()
    if found is None:
        return
    with contextlib.suppress(Exception):
        found.delete_password(KEYRING_SERVICE, name)
