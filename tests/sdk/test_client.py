"""Configuration, zone discovery, headers, names and error bodies, without a server."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from mspcrm import errors
from mspcrm.sdk import Client
from mspcrm.sdk.responses import error_for, retry_after
from mspcrm.sdk.wire import api_root

ZONE = "https://webservices99.autotask.net/ATServicesRest/"


def autotask_zone(sent: list[httpx.Request]) -> httpx.MockTransport:
    """Stands in for webservices.autotask.net and the zone it sends us to."""

    def handle(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        if request.url.path.lower().endswith("/zoneinformation"):
            return httpx.Response(200, json={"zoneName": "Z99", "url": ZONE, "ci": 1})
        return httpx.Response(200, json={"item": {"id": 0, "companyName": "My MSP"}})

    return httpx.MockTransport(handle)


def test_zone_discovery_from_autotask_default_root_and_headers() -> None:
    sent: list[httpx.Request] = []
    client = Client(
        username="api@msp.example",
        secret="s3cret",
        integration_code="CODE",
        impersonation_resource_id=29682885,
        transport=autotask_zone(sent),
    )
    with client:
        assert client.companies.get(0) == {"id": 0, "companyName": "My MSP"}
    zone, data = sent
    assert str(zone.url) == (
        "https://webservices.autotask.net/ATServicesRest/V1.0/ZoneInformation"
        "?user=api%40msp.example"
    )
    assert "secret" not in zone.headers and "username" not in zone.headers
    assert str(data.url) == f"{ZONE}V1.0/Companies/0"
    assert data.headers["ApiIntegrationCode"] == "CODE"
    assert data.headers["UserName"] == "api@msp.example"
    assert data.headers["Secret"] == "s3cret"
    assert data.headers["ImpersonationResourceId"] == "29682885"
    assert data.headers["Content-Type"] == "application/json"


def test_from_env() -> None:
    sent: list[httpx.Request] = []
    environ = {
        "MSPCRM_URL": "https://crm.example/ATServicesRest/V1.0/",
        "MSPCRM_USERNAME": "u@example.com",
        "MSPCRM_SECRET": "s",
        "MSPCRM_INTEGRATION_CODE": "C",
    }
    with Client.from_env(environ, transport=autotask_zone(sent)) as client:
        assert client.discovered and client.api_url == "https://crm.example/ATServicesRest/"
        client.companies.get(0)
    assert [str(r.url) for r in sent] == ["https://crm.example/ATServicesRest/V1.0/Companies/0"]
    with pytest.raises(errors.ValidationError, match="MSPCRM_SECRET, MSPCRM_INTEGRATION_CODE"):
        Client.from_env({"MSPCRM_USERNAME": "u"})


@pytest.mark.parametrize(
    ("base_url", "root"),
    [
        (None, None),
        ("http://host:8080", None),
        ("http://host:8080/", None),
        ("http://host/ATServicesRest", "http://host/ATServicesRest/"),
        ("http://host/atservicesrest/v1.0/", "http://host/atservicesrest/"),
        ("https://proxy/crm/ATServicesRest/V1.0", "https://proxy/crm/ATServicesRest/"),
    ],
)
def test_api_root_or_discovery(base_url: str | None, root: str | None) -> None:
    assert api_root(base_url) == root


def test_entities_by_name() -> None:
    client = Client("http://h/ATServicesRest/", username="u", secret="s", integration_code="c")
    assert client.companies.path == "Companies"
    assert client.company_locations.path == "CompanyLocations"
    assert client.Opportunities.path == "Opportunities"
    assert client.entity("contact").path == "Contacts"
    assert client.entity("BillingItems").path == "BillingItems"  # any entity, generically
    with pytest.raises(AttributeError):
        _ = client.widgets
    client.close()


def _response(status: int, body: bytes, **headers: str) -> httpx.Response:
    request = httpx.Request("GET", "http://h/ATServicesRest/V1.0/Companies/1")
    return httpx.Response(status, content=body, headers=headers, request=request)


@pytest.mark.parametrize(
    ("status", "body", "kind", "messages"),
    [
        (400, b'{"errors": ["bad"]}', errors.ValidationError, ["bad"]),
        (
            400,
            b'{"errors": ["Unable to find x in the Company Entity"]}',
            errors.QueryError,
            ["Unable to find x in the Company Entity"],
        ),
        (401, b"", errors.AuthenticationError, ["HTTP 401 Unauthorized"]),
        (403, b'{"errors": ["no"]}', errors.PermissionDeniedError, ["no"]),
        (404, b"<html>Not Found</html>", errors.NotFoundError, ["<html>Not Found</html>"]),
        (405, b'{"Message": "no GET"}', errors.MethodNotAllowedError, ["no GET"]),
        (409, b'{"errors": ["dup"]}', errors.ConflictError, ["dup"]),
        (413, b'{"errors": ["big"]}', errors.PayloadTooLargeError, ["big"]),
        (429, b'{"errors": ["slow"]}', errors.RateLimitedError, ["slow"]),
        (
            500,
            b'{"errors": ["Company: Phone is required."]}',
            errors.ServerError,
            ["Company: Phone is required."],
        ),
        (
            500,
            b'{"errors": ["The logged in Resource does not have the adequate permissions '
            b'to create this entity type."]}',
            errors.PermissionDeniedError,
            [
                "The logged in Resource does not have the adequate permissions to create this "
                "entity type."
            ],
        ),
        (502, b"Bad Gateway", errors.ServerError, ["Bad Gateway"]),
    ],
)
def test_error_bodies_map_to_the_exception_tree(
    status: int, body: bytes, kind: type[errors.MspcrmError], messages: list[str]
) -> None:
    exc = error_for(_response(status, body))
    assert type(exc) is kind
    assert exc.errors == messages


def test_retry_after_in_seconds_or_as_a_date() -> None:
    assert retry_after(_response(429, b"", **{"Retry-After": "2.5"})) == 2.5
    assert retry_after(_response(429, b"")) == 1.0
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    assert 25 < retry_after(_response(429, b"", **{"Retry-After": later})) <= 30
    assert json.loads(_response(200, b"{}").content) == {}
