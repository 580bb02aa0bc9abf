"""Account transfer in process: ``workflows/transfer.py`` over the services, in one
transaction (one history entry per record)."""

from __future__ import annotations

from typing import Any

from mspcrm.services.context import Actor
from mspcrm.services.port import ServicePort
from mspcrm.services.records import RecordService
from mspcrm.workflows import transfer


class TransferService:
    def __init__(self, records: RecordService) -> None:
        self.records = records

    def transfer(
        self,
        from_id: int,
        to_id: int,
        actor: Actor,
        *,
        filter: list[Any] | None = None,
        opportunities: bool = False,
        dry_run: bool = False,
    ) -> dict[str, Any]:
        with self.records.db.write() as conn:
            return transfer.transfer(
                ServicePort(self.records, conn, actor),
                from_id,
                to_id,
                filter=filter,
                opportunities=opportunities,
                dry_run=dry_run,
            )
