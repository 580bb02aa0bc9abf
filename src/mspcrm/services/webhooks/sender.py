"""One callout over HTTP: to the checked address, bounded in time and in what it reads."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import httpx

from mspcrm.domain.callouts import SIGNATURE_HEADER, signature
from mspcrm.errors import ValidationError
from mspcrm.services.webhooks.destinations import DestinationPolicy, Target

TIMEOUT = httpx.Timeout(10.0, connect=5.0)
MAX_RESPONSE_BYTES = 64 * 1024
USER_AGENT = "mspcrm-webhooks"


@dataclass(frozen=True)
class Outcome:
    ok: bool
    status: int | None = None
    error: str = ""


def _pinned(target: Target) -> str:
    """The URL with its host replaced by the checked address (no second DNS look-up)."""
    parts = urlsplit(target.url)
    host = f"[{target.address}]" if ":" in target.address else target.address
    netloc = f"{host}:{target.port}"
    return urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))


class Sender:
    def __init__(self, policy: DestinationPolicy, *, timeout: httpx.Timeout = TIMEOUT) -> None:
        self.policy = policy
        self.client = httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False)

    def close(self) -> None:
        self.client.close()

    def send(self, url: str, body: str, secret: str | None) -> Outcome:
        try:
            target = self.policy.check("url", url)
        except ValidationError as exc:
            return Outcome(False, None, "Destination refused: " + " ".join(exc.errors))
        headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": USER_AGENT}
        headers["Host"] = (
            target.host if target.port in (80, 443) else f"{target.host}:{target.port}"
        )
        if secret:
            headers[SIGNATURE_HEADER] = signature(secret, body)
        try:
            return self._post(target, body.encode(), headers)
        except httpx.HTTPError as exc:
            return Outcome(False, None, f"{type(exc).__name__}: {exc}"[:500])

    def _post(self, target: Target, body: bytes, headers: dict[str, str]) -> Outcome:
        extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
        request = self.client.build_request(
            "POST", _pinned(target), content=body, headers=headers, extensions=extensions
        )
        response = self.client.send(request, stream=True)
        try:
            read = 0
            for chunk in response.iter_raw():
                read += len(chunk)
                if read > MAX_RESPONSE_BYTES:
                    break
        finally:
            response.close()
        status = response.status_code
        if 200 <= status < 300:
            return Outcome(True, status)
        if 300 <= status < 400:
            where = response.headers.get("location", "")
            return Outcome(False, status, f"HTTP {status}: redirect to {where!r} not followed")
        return Outcome(False, status, f"HTTP {status} from {target.host}")
