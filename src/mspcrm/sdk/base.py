"""What the sync and async clients share: credentials, the API root, the request they
build for a ``Call``, and the retry policy. No I/O here."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, Self

import httpx

from mspcrm.errors import ValidationError
from mspcrm.sdk import responses, wire
from mspcrm.sdk.metadata import EntityDescription
from mspcrm.sdk.wire import Call

DEFAULT_TIMEOUT = 60.0
DEFAULT_MAX_IN_FLIGHT = 3  # Autotask's thread limit per integration and endpoint
DEFAULT_MAX_RETRIES = 3
DEFAULT_MAX_RETRY_WAIT = 60.0
ENV = {
    "base_url": "MSPCRM_URL",
    "username": "MSPCRM_USERNAME",
    "secret": "MSPCRM_SECRET",
    "integration_code": "MSPCRM_INTEGRATION_CODE",
    "impersonation_resource_id": "MSPCRM_IMPERSONATION_RESOURCE_ID",
}
REQUIRED_ENV = ("username", "secret", "integration_code")


class BaseClient:
    """Configuration and request building shared by ``Client`` and ``AsyncClient``."""

    def __init__(
        self,
        base_url: str | None,
        *,
        username: str,
        secret: str,
        integration_code: str,
        impersonation_resource_id: int | str | None,
        max_in_flight: int,
        max_retries: int,
        max_retry_wait: float,
        retry_writes: bool = False,
    ) -> None:
        if not username or not secret or not integration_code:
            raise ValidationError("username, secret and integration_code are all required")
        if max_in_flight < 1 or max_retries < 0:
            raise ValidationError("max_in_flight must be at least 1 and max_retries at least 0")
        self.base_url = base_url
        self.username = username
        self.max_in_flight = max_in_flight
        self.max_retries = max_retries
        self.max_retry_wait = max_retry_wait
        self.retry_writes = retry_writes
        self._auth = {
            "ApiIntegrationCode": integration_code,
            "UserName": username,
            "Secret": secret,
        }
        if impersonation_resource_id not in (None, ""):
            self._auth["ImpersonationResourceId"] = str(impersonation_resource_id)
        self._root: str | None = wire.api_root(base_url)
        self._descriptions: dict[str, EntityDescription] = {}

    def set_context(self, text: str) -> None:
        """Say on whose behalf this client acts (``X-Mspcrm-Context``, at most 100 characters):
        mspcrm keeps it in the history of every write; other servers ignore it."""
        self._auth["X-Mspcrm-Context"] = text.strip()[:100]

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **options: Any) -> Self:
        """A client from ``MSPCRM_URL`` (optional: discover the zone), ``MSPCRM_USERNAME``,
        ``MSPCRM_SECRET``, ``MSPCRM_INTEGRATION_CODE`` and, optionally,
        ``MSPCRM_IMPERSONATION_RESOURCE_ID``; keyword ``options`` win."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {k: env[v] for k, v in ENV.items() if env.get(v)}
        values.update(options)
        missing = [ENV[k] for k in REQUIRED_ENV if not values.get(k)]
        if missing:
            raise ValidationError(
                f"Set {', '.join(missing)} to build a client from the environment"
            )
        base_url = values.pop("base_url", None)
        return cls(base_url, **values)

    @property
    def discovered(self) -> bool:
        return self._root is not None

    def _request(
        self, http: httpx.Client | httpx.AsyncClient, call: Call, root: str | None
    ) -> httpx.Request:
        """The ``httpx.Request`` for a call; relative paths are resolved under ``root``."""
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if call.authenticated:
            headers.update(self._auth)
        return http.build_request(
            call.method,
            call.path if call.absolute or root is None else root + call.path,
            params=call.params,
            json=call.json,
            headers=headers,
        )

    def _retry_delay(self, response: httpx.Response, attempt: int) -> float | None:
        return responses.retry_delay(
            response,
            attempt,
            max_retries=self.max_retries,
            max_wait=self.max_retry_wait,
            retry_writes=self.retry_writes,
        )

    def _failure_delay(
        self, exc: httpx.TransportError, request: httpx.Request, attempt: int
    ) -> float:
        """The wait before another try after no answer, or raise ``UnreachableError``."""
        return responses.failure_delay(
            exc,
            request,
            attempt,
            max_retries=self.max_retries,
            max_wait=self.max_retry_wait,
            retry_writes=self.retry_writes,
        )

    def _cached_description(self, path: str) -> EntityDescription | None:
        return self._descriptions.get(path.lower())

    def _remember(self, description: EntityDescription) -> EntityDescription:
        return self._descriptions.setdefault(description.path.lower(), description)

    @staticmethod
    def _entity_path(name: str) -> str:
        return wire.known_path(name) or name

    @staticmethod
    def _known_attribute(name: str) -> str:
        path = None if name.startswith("_") else wire.known_path(name)
        if path is None:
            raise AttributeError(name)
        return path

    def __repr__(self) -> str:
        where = self._root or self.base_url or wire.DEFAULT_ROOT
        return f"<{type(self).__name__} {self.username} at {where}>"
