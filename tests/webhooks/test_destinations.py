"""The destination policy on its own, with DNS answered by a fake resolver (a boundary)."""

from __future__ import annotations

import pytest

from mspcrm.errors import ValidationError
from mspcrm.services.webhooks.destinations import DestinationPolicy

NAMES = {"hooks.example.com": ["93.184.216.34"], "sneaky.example.com": ["10.0.0.5"],
         "mixed.example.com": ["93.184.216.34", "192.168.1.9"]}  # fmt: skip


def resolver(host: str, port: int) -> list[str]:
    if host not in NAMES:
        raise OSError("Name or service not known")
    return NAMES[host]


def policy(allow: str = "") -> DestinationPolicy:
    return DestinationPolicy.parse(allow, resolver)


def test_public_https_is_allowed() -> None:
    target = policy().check("webhookUrl", "https://hooks.example.com/in")
    assert (target.address, target.port, target.host) == ("93.184.216.34", 443, "hooks.example.com")


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("https://sneaky.example.com/in", "resolves to 10.0.0.5, a private"),
        ("https://mixed.example.com/in", "192.168.1.9"),
        ("https://169.254.169.254/", "link-local"),
        ("https://[::ffff:10.0.0.1]/", "::ffff:10.0.0.1"),
        ("https://[fd00:ec2::254]/", "private"),
        ("https://0.0.0.0/", "0.0.0.0"),
        ("http://hooks.example.com/in", "must use https"),
        ("https://hooks.example.com:99999/", "bad port"),
        ("javascript:alert(1)", "not an http(s) URL"),
    ],
)
def test_refused(url: str, words: str) -> None:
    with pytest.raises(ValidationError) as raised:
        policy().check("webhookUrl", url)
    assert words in raised.value.errors[0] and "webhookUrl" in raised.value.errors[0]


def test_the_operator_allows_networks_and_hosts() -> None:
    assert policy("10.0.0.0/8").check("u", "http://sneaky.example.com/in").address == "10.0.0.5"
    assert policy("sneaky.example.com").check("u", "http://sneaky.example.com/").port == 80
    with pytest.raises(ValidationError):
        policy("10.0.0.0/8").check("u", "https://mixed.example.com/")  # 192.168 not allowed
    with pytest.raises(ValidationError):  # an allowed network does not make plain http public
        policy("10.0.0.0/8").check("u", "http://hooks.example.com/")


def test_a_host_that_does_not_resolve_is_accepted_when_saved_refused_when_called() -> None:
    assert policy().problems("webhookUrl", "https://nowhere.example.com/in") == []
    assert "must use https" in policy().problems("webhookUrl", "http://nowhere.example.com/")[0]
    with pytest.raises(ValidationError, match="does not resolve"):
        policy().check("webhookUrl", "https://nowhere.example.com/in")
