"""Saved connection profiles for the CLI and the agent interface.

A JSON file (``~/.config/mspcrm/profiles.json``, or ``MSPCRM_PROFILES_FILE``),
readable by its owner only, mapping a name to either a local database or a
remote Autotask-compatible server with its credentials.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from pathlib import Path

import orjson

from mspcrm.errors import NotFoundError, ValidationError


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
    base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return base / "mspcrm" / "profiles.json"


def load_profiles() -> dict[str, Profile]:
    path = profiles_file()
    if not path.exists():
        return {}
    raw = orjson.loads(path.read_bytes())
    return {
        name: Profile(name=name, **{k: v for k, v in body.items() if k != "name"})
        for name, body in raw.items()
    }


def save_profile(profile: Profile) -> Path:
    found = load_profiles()
    found[profile.name] = profile
    path = profiles_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    body = {
        name: {k: v for k, v in asdict(p).items() if v is not None and k != "name"}
        for name, p in sorted(found.items())
    }
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(orjson.dumps(body, option=orjson.OPT_INDENT_2))
    return path


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
    path = profiles_file()
    body = {
        n: {k: v for k, v in asdict(p).items() if v is not None and k != "name"}
        for n, p in sorted(found.items())
    }
    path.write_bytes(orjson.dumps(body, option=orjson.OPT_INDENT_2))
