"""Where the CLI and the agent interface send their work: a local database or a remote server.

Both go through the SDK. Locally the API app runs in process (no socket) and
requests act as a local actor; remotely the SDK talks HTTP to any
Autotask-compatible server with the three credential headers.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import cached_property

from mspcrm.api.app import create_app
from mspcrm.config import load_settings
from mspcrm.errors import ValidationError
from mspcrm.profiles import get_profile
from mspcrm.sdk import ASGIInProcessTransport, Client
from mspcrm.services.context import Actor
from mspcrm.services.crm import Services, build_services
from mspcrm.workflow_client import WorkflowClient

LOCAL_URL = "http://local.mspcrm/ATServicesRest/"


@dataclass
class Target:
    client: Client
    description: str
    services: Services | None = None  # set for a local database
    _closed: bool = field(default=False, repr=False)

    @cached_property
    def workflows(self) -> WorkflowClient:
        """The workflows on this target: ``/api/v1`` where it answers, else the plain API."""
        return WorkflowClient(self.client, plain_api=os.environ.get("MSPCRM_PLAIN_API") == "1")

    @property
    def is_local(self) -> bool:
        return self.services is not None

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self.client.close()
        if self.services is not None:
            self.services.close()

    def __enter__(self) -> Target:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def local_target(
    database: str | None,
    *,
    channel: str,
    resource_id: int | None = None,
    context: str | None = None,
) -> Target:
    services = build_services(load_settings(database_url=database))
    actor = Actor(resource_id=resource_id, channel=channel, context=context)
    app = create_app(services=services, local_actor=actor)
    client = Client(
        LOCAL_URL,
        username="local",
        secret="in-process",
        integration_code="in-process",
        transport=ASGIInProcessTransport(app),
    )
    client.native_available = True  # the app in process serves /api/v1
    return Target(client, f"local database {services.db.url.split('@')[-1]}", services)


def remote_target(url: str, username: str, secret: str, integration_code: str) -> Target:
    client = Client(url, username=username, secret=secret, integration_code=integration_code)
    return Target(client, f"server {url}")


def open_target(
    *,
    database: str | None = None,
    url: str | None = None,
    username: str | None = None,
    secret: str | None = None,
    integration_code: str | None = None,
    profile: str | None = None,
    channel: str = "cli",
    resource_id: int | None = None,
    context: str | None = None,
) -> Target:
    """A target from explicit options, else a profile, else ``MSPCRM_*`` variables, else local."""
    if profile:
        saved = get_profile(profile)
        database, url = database or saved.database, url or saved.url
        username, secret = username or saved.username, secret or saved.secret
        integration_code = integration_code or saved.integration_code
    url = url or os.environ.get("MSPCRM_URL")
    if resource_id is None and os.environ.get("MSPCRM_RESOURCE_ID"):
        resource_id = int(os.environ["MSPCRM_RESOURCE_ID"])
    if not url:
        return local_target(database, channel=channel, resource_id=resource_id, context=context)
    username = username or os.environ.get("MSPCRM_USERNAME")
    secret = secret or os.environ.get("MSPCRM_SECRET")
    integration_code = integration_code or os.environ.get("MSPCRM_INTEGRATION_CODE")
    if not (username and secret and integration_code):
        raise ValidationError(
            "A remote server needs --username, --secret and --integration-code "
            "(or MSPCRM_USERNAME, MSPCRM_SECRET, MSPCRM_INTEGRATION_CODE, or a profile)"
        )
    target = remote_target(url, username, secret, integration_code)
    if context:
        target.client.set_context(context)
    return target
