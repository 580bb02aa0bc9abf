"""One frozen ``Settings``, read from ``MSPCRM_*`` environment variables and flags.

Loaded only at the composition roots (the CLI and the ASGI factory).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

COMPAT_MODES = ("default", "autotask")


@dataclass(frozen=True)
class Settings:
    database_url: str = "mspcrm.db"
    compat: str = "default"
    host: str = "127.0.0.1"
    port: int = 8080
    root_company_name: str = "My MSP"
    sqlite_sync: str = "FULL"
    credential_cache_seconds: float = 60.0
    zone_name: str = "mspcrm"
    # limits (docs/reliability.md); 0 turns a limit off
    requests_per_hour: int = 10_000  # MSPCRM_REQUESTS_PER_HOUR, per database
    thread_limit: int = 3  # MSPCRM_THREAD_LIMIT, per integration code + endpoint
    thread_lease_seconds: float = 300.0  # MSPCRM_THREAD_LEASE_SECONDS, a crashed request's slot
    # failed sign-ins before a wait (doubling per failure, from login_backoff_seconds up to
    # login_backoff_max_seconds): per user name at one address, and per address
    login_failure_limit: int = 10  # MSPCRM_LOGIN_FAILURE_LIMIT, per user name + address
    login_address_failure_limit: int = 30  # MSPCRM_LOGIN_ADDRESS_FAILURE_LIMIT, per address
    login_failure_window_seconds: float = 900.0  # MSPCRM_LOGIN_FAILURE_WINDOW_SECONDS, memory
    login_backoff_seconds: float = 1.0  # MSPCRM_LOGIN_BACKOFF_SECONDS, the first wait
    login_backoff_max_seconds: float = 300.0  # MSPCRM_LOGIN_BACKOFF_MAX_SECONDS
    # X-Forwarded-For is believed only from these peers (comma-separated IPs or networks,
    # "*" for any); empty: from nobody, the socket's peer is the client
    forwarded_allow_ips: str = ""  # MSPCRM_FORWARDED_ALLOW_IPS
    # slow clients (mspcrm serve): a request's headers, and its body (between two chunks
    # and in all), must arrive within these; 0 turns one off
    header_timeout_seconds: float = 10.0  # MSPCRM_HEADER_TIMEOUT_SECONDS
    body_idle_timeout_seconds: float = 30.0  # MSPCRM_BODY_IDLE_TIMEOUT_SECONDS
    body_timeout_seconds: float = 120.0  # MSPCRM_BODY_TIMEOUT_SECONDS
    http: str = "auto"  # MSPCRM_HTTP: uvicorn's HTTP/1.1 parser, auto | httptools | h11
    query_timeout_seconds: float = 30.0  # MSPCRM_QUERY_TIMEOUT_SECONDS
    max_body_bytes: int = 2 * 1024 * 1024  # MSPCRM_MAX_BODY_BYTES
    max_json_depth: int = 32  # MSPCRM_MAX_JSON_DEPTH
    max_import_bytes: int = 200 * 1024 * 1024  # MSPCRM_MAX_IMPORT_BYTES, an import's CSV body
    # webhooks (docs/webhooks.md)
    webhook_allow: str = ""  # MSPCRM_WEBHOOK_ALLOW: networks and hosts callouts may reach
    webhook_max_attempts: int = 8  # MSPCRM_WEBHOOK_MAX_ATTEMPTS, then the webhook is deactivated
    webhook_retry_seconds: float = 2.0  # MSPCRM_WEBHOOK_RETRY_SECONDS, doubled at each retry
    webhook_lease_seconds: float = 60.0  # MSPCRM_WEBHOOK_LEASE_SECONDS, a crashed worker's hold

    def __post_init__(self) -> None:
        if self.compat not in COMPAT_MODES:
            raise ValueError(
                f"compat must be one of {', '.join(COMPAT_MODES)}, not {self.compat!r}"
            )
        if self.sqlite_sync.upper() not in ("OFF", "NORMAL", "FULL", "EXTRA"):
            raise ValueError(
                f"sqlite_sync must be OFF, NORMAL, FULL or EXTRA, not {self.sqlite_sync!r}"
            )

    @property
    def autotask_mode(self) -> bool:
        return self.compat == "autotask"

    def with_overrides(self, **overrides: Any) -> Settings:
        return replace(self, **{k: v for k, v in overrides.items() if v is not None})


def load_settings(environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
    """Defaults, then ``MSPCRM_<NAME>`` variables, then explicit overrides (flags)."""
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for f in fields(Settings):
        raw = env.get(f"MSPCRM_{f.name.upper()}")
        if raw is None:
            continue
        values[f.name] = _parse(f.name, raw, type(getattr(Settings(), f.name)))
    return Settings(**values).with_overrides(**overrides)


TRUE, FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off", "")


def _parse(name: str, raw: str, kind: type) -> Any:
    """An ``MSPCRM_*`` value as its setting's type; a bad one is named, not a traceback."""
    if kind is bool:
        if raw.strip().lower() not in (*TRUE, *FALSE):
            raise ValueError(f"MSPCRM_{name.upper()} must be true or false, not {raw!r}")
        return raw.strip().lower() in TRUE
    try:
        return kind(raw)
    except ValueError:
        raise ValueError(f"MSPCRM_{name.upper()} must be {kind.__name__}, not {raw!r}") from None


def settings_environment(settings: Settings) -> dict[str, str]:
    """``settings`` as ``MSPCRM_*`` variables, for processes that load their own (workers)."""
    return {f"MSPCRM_{f.name.upper()}": str(getattr(settings, f.name)) for f in fields(settings)}
