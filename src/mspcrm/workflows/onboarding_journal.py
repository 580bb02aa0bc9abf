"""The journal of an onboarding run without a transaction: where it is, what it created.

The state is a small JSON-able dict kept by a ``JournalStore`` (a file beside the CLI's
profiles: ``mspcrm/journal.py``), written before and after every step, so a run killed
at any point is found open by the next run of the same document and carried on. On a
failure of the data, ``undo`` removes what the run created where the target allows
deletes and names what it had to leave.
"""

from __future__ import annotations

from typing import Any, Protocol

from mspcrm.domain.entities import COMPANY_LOCATION, CONTACT, CONTACT_ROLE
from mspcrm.domain.onboarding import Step
from mspcrm.errors import MspcrmError
from mspcrm.workflows.port import REGISTRY, Port

RUNNING = "running"
# Autotask deletes contacts and locations (under their company); roles are ours, and go
# with their contact. Companies, contracts and notes cannot be deleted through the API.
DELETABLE = (CONTACT.path, COMPANY_LOCATION.path, CONTACT_ROLE.path)


class JournalStore(Protocol):
    where: str  # for messages: the file's path

    def read(self) -> dict[str, Any] | None: ...

    def write(self, state: dict[str, Any]) -> None: ...

    def remove(self) -> None: ...


class Journal:
    def __init__(self, store: JournalStore, state: dict[str, Any] | None) -> None:
        self.store = store
        self.resuming = state is not None and state.get("status") == RUNNING
        self.state: dict[str, Any] = state if self.resuming and state is not None else {}

    @classmethod
    def open(cls, store: JournalStore) -> Journal:
        return cls(store, store.read())

    @property
    def fingerprint(self) -> str | None:
        return self.state.get("fingerprint")

    @property
    def adopt(self) -> int | None:
        return self.state.get("adopt")

    def _save(self) -> None:
        self.store.write(self.state)

    def begin(self, planned: str, steps: list[Step]) -> None:
        if not self.resuming:
            self.state = {"workflow": "onboarding", "status": RUNNING, "fingerprint": planned,
                          "runs": 0, "adopt": None, "created": [], "log": []}  # fmt: skip
        self.state["runs"] += 1
        self.state["planned"] = [s.to_wire() for s in steps]
        self._save()

    def started(self, step: Step) -> None:
        entry = {"run": self.state["runs"], "step": step.step, "key": step.key,
                 "action": step.action, "status": "started"}  # fmt: skip
        self.state["log"].append(entry)
        self._save()

    def created(self, entity: str, record_id: int, parent_id: Any, step: Step) -> None:
        self.state["created"].append(
            {
                "entity": entity,
                "id": record_id,
                "parentID": parent_id,
                "step": step.step,
                "key": step.key,
            }
        )
        self._save()

    def finished(self, step: Step, adopt: int | None) -> None:
        self.state["log"][-1].update(status="done", id=step.record_id)
        self.state["adopt"] = adopt
        self._save()

    def close(self) -> None:
        """The run is done: its journal goes."""
        self.store.remove()

    def note(self) -> dict[str, Any]:
        """What a result adds: ``resumed`` when this run carried on an interrupted one."""
        return {"resumed": True} if self.resuming else {}

    def resume_hint(self) -> str:
        return (
            f"The onboarding stopped part way; its journal ({self.store.where}) keeps its "
            "place: run the same command again to finish it (nothing is created twice)"
        )

    def undo(self, port: Port) -> list[str]:
        """Remove what the run created where the target allows it; name what is left."""
        removed, left, failed = [], [], []
        gone_contacts: set[int] = set()
        for record in reversed(self.state.get("created", [])):
            entity, record_id = record["entity"], int(record["id"])
            label = (
                f"{REGISTRY.by_name(entity).name} {record_id} ({record['key'] or record['step']})"
            )
            if entity == CONTACT_ROLE.path and record["parentID"] in gone_contacts:
                continue  # went with its contact
            if entity not in DELETABLE:
                left.append(label)
                continue
            try:
                port.delete(entity, record_id, parent_id=record["parentID"])
            except MspcrmError as exc:
                failed.append(f"{label}: {exc}")
                continue
            removed.append(label)
            if entity == CONTACT.path:
                gone_contacts.add(record_id)
        self.store.remove()
        return _report(removed, left, failed)


def _report(removed: list[str], left: list[str], failed: list[str]) -> list[str]:
    out = []
    if removed:
        out.append("Removed what this run created: " + ", ".join(removed))
    if left:
        out.append(
            "Left in place (the API cannot delete them): " + ", ".join(left) + ". Fix the "
            "file and run it again: onboarding finds them by name and completes them, or "
            "deactivate them"
        )
    if failed:
        out.append("Could not remove: " + "; ".join(failed))
    return out
