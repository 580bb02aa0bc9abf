"""A Python client for any Autotask-compatible server: mspcrm, or a real Autotask tenant.

    from mspcrm.sdk import Client, F

    with Client.from_env() as client:
        for company in client.companies.query(F("companyName").contains("acme")):
            print(company["id"], company["companyName"])

``Client`` is sync and thread-safe; ``AsyncClient`` is its twin. Errors are the
classes of ``mspcrm.errors``. The SDK imports nothing else of the server.
"""

from mspcrm.sdk.aio import AsyncChildClient, AsyncClient, AsyncEntityClient
from mspcrm.sdk.client import Client
from mspcrm.sdk.entities import ChildClient, EntityClient
from mspcrm.sdk.metadata import EntityDescription, FieldInfo, Picklist
from mspcrm.sdk.query import F, Q, Query, and_, or_
from mspcrm.sdk.transport import ASGIInProcessTransport

__all__ = [
    "ASGIInProcessTransport",
    "AsyncChildClient",
    "AsyncClient",
    "AsyncEntityClient",
    "ChildClient",
    "Client",
    "EntityClient",
    "EntityDescription",
    "F",
    "FieldInfo",
    "Picklist",
    "Q",
    "Query",
    "and_",
    "or_",
]
