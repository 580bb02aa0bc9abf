"""Where callouts may go.

A webhook URL makes the server send requests on a user's behalf, so a destination is
checked when the webhook is saved and again before every callout, after DNS
resolution: loopback, private, link-local (cloud metadata), shared, reserved,
multicast and unspecified addresses are refused, and the scheme must be HTTPS,
unless the operator allows the destination with ``MSPCRM_WEBHOOK_ALLOW``: a
comma-separated list of networks (``127.0.0.1/32``, ``10.0.0.0/8``, ``::1``) and host
names (``hooks.internal``). A callout connects to the address that was checked (no
second resolution) and never follows a redirect.
"""

from __future__ import annotations

import ipaddress
import socket
import weakref
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from mspcrm.errors import ValidationError

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str, int], list[str]]


class UnresolvedError(ValidationError):
    """The host does not resolve (now): refused at delivery, accepted when saved (the
    delivery checks it again)."""


RESOLVE_SECONDS = 2.0  # a save waits at most this long for DNS (in its transaction)
_RESOLVERS = ThreadPoolExecutor(2, thread_name_prefix="webhook-dns")


def _getaddrinfo(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def system_resolver(host: str, port: int) -> list[str]:
    """The host's addresses; a look-up that takes over ``RESOLVE_SECONDS`` counts as not
    resolving (accepted when saved, refused when called)."""
    try:
        return _RESOLVERS.submit(_getaddrinfo, host, port).result(timeout=RESOLVE_SECONDS)
    except FutureTimeout:
        raise OSError(f"no answer within {RESOLVE_SECONDS:g} s") from None


@dataclass(frozen=True)
class Target:
    """A checked destination: the URL, its host and port, and the address to connect to."""

    url: str
    scheme: str
    host: str
    port: int
    address: str


@dataclass(frozen=True)
class DestinationPolicy:
    networks: tuple[Network, ...] = ()
    hosts: frozenset[str] = frozenset()
    resolver: Resolver = field(default=system_resolver, compare=False)

    @classmethod
    def parse(cls, allow: str, resolver: Resolver = system_resolver) -> DestinationPolicy:
        networks: list[Network] = []
        hosts: set[str] = set()
        for item in (part.strip() for part in allow.split(",")):
            if not item:
                continue
            try:
                networks.append(ipaddress.ip_network(item.strip("[]"), strict=False))
            except ValueError:
                hosts.add(item.lower().rstrip("."))
        return cls(tuple(networks), frozenset(hosts), resolver)

    def check(self, name: str, url: str) -> Target:
        """The URL's target when it may be called; else a ValidationError naming ``name``."""
        parts = urlsplit(url.strip())
        host = (parts.hostname or "").lower().rstrip(".")
        if parts.scheme not in ("http", "https") or not host:
            raise ValidationError(f"Invalid value for {name}: {url!r} is not an http(s) URL")
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError:
            raise ValidationError(f"Invalid value for {name}: {url!r} has a bad port") from None
        addresses = self._addresses(name, host, port)
        allowed = host in self.hosts or all(self._allowed(a) for a in addresses)
        if not allowed:
            refused = next(a for a in addresses if not self._allowed(a))
            raise ValidationError(
                f"Invalid value for {name}: {host} resolves to {refused}, a {_kind(refused)} "
                "address; webhooks may not call it unless MSPCRM_WEBHOOK_ALLOW allows it"
            )
        if parts.scheme != "https" and not self._explicitly_allowed(host, addresses):
            raise ValidationError(
                f"Invalid value for {name}: {url!r} must use https (MSPCRM_WEBHOOK_ALLOW "
                "allows plain http to the destinations it names)"
            )
        return Target(url.strip(), parts.scheme, host, port, str(addresses[0]))

    def problems(self, name: str, url: str) -> list[str]:
        """What makes ``url`` unfit when a webhook is saved (a host that does not resolve
        yet is accepted: every callout checks again)."""
        try:
            self.check(name, url)
        except UnresolvedError:
            parts = urlsplit(url.strip())
            host = (parts.hostname or "").lower().rstrip(".")
            if parts.scheme == "https" or host in self.hosts:
                return []
            return [f"Invalid value for {name}: {url!r} must use https"]
        except ValidationError as exc:
            return list(exc.errors)
        return []

    def _addresses(self, name: str, host: str, port: int) -> list[Address]:
        try:
            return [ipaddress.ip_address(host.strip("[]"))]
        except ValueError:
            pass
        try:
            found = self.resolver(host, port)
        except OSError as exc:
            raise UnresolvedError(
                f"Invalid value for {name}: host {host} does not resolve ({exc})"
            ) from None
        if not found:
            raise UnresolvedError(f"Invalid value for {name}: host {host} does not resolve")
        return [ipaddress.ip_address(a.split("%")[0]) for a in found]

    def _explicitly_allowed(self, host: str, addresses: list[Address]) -> bool:
        return host in self.hosts or (
            bool(self.networks) and all(_in_any(a, self.networks) for a in addresses)
        )

    def _allowed(self, address: Address) -> bool:
        return _in_any(address, self.networks) or _public(address)


def _in_any(address: Address, networks: tuple[Network, ...]) -> bool:
    return any(address.version == n.version and address in n for n in networks)


def _public(address: Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return _public(address.ipv4_mapped)
    return address.is_global and not address.is_multicast


def _kind(address: Address) -> str:
    for kind in ("loopback", "link_local", "private", "multicast", "reserved", "unspecified"):
        if getattr(address, f"is_{kind}"):
            return kind.replace("_", "-")
    return "non-public"


_POLICIES: weakref.WeakKeyDictionary[Any, DestinationPolicy] = weakref.WeakKeyDictionary()
STRICT = DestinationPolicy()


def install_policy(owner: Any, policy: DestinationPolicy) -> None:
    """The policy the webhook rules apply to writes through ``owner`` (a RecordService)."""
    _POLICIES[owner] = policy


def policy_for(owner: Any) -> DestinationPolicy:
    return _POLICIES.get(owner, STRICT)
