"""The composition of all services for one database and one set of settings."""

from __future__ import annotations

from dataclasses import dataclass

from mspcrm.config import Settings
from mspcrm.domain.entities import build_registry
from mspcrm.domain.entity import Registry
from mspcrm.services import rules  # noqa: F401  (registers the business rules)
from mspcrm.services.admin import AdminService
from mspcrm.services.auth import Authenticator
from mspcrm.services.duplicates import DuplicateService
from mspcrm.services.merge import MergeService
from mspcrm.services.records import RecordService
from mspcrm.store.database import Database
from mspcrm.store.migrate import upgrade


@dataclass
class Services:
    settings: Settings
    db: Database
    registry: Registry
    records: RecordService
    auth: Authenticator
    admin: AdminService
    merges: MergeService
    duplicates: DuplicateService

    def close(self) -> None:
        self.db.dispose()


def build_services(settings: Settings, *, migrate: bool = True) -> Services:
    """Open the database (migrating it to the newest schema) and wire every service."""
    db = Database(settings.database_url, sqlite_sync=settings.sqlite_sync)
    if migrate:
        upgrade(db, root_company_name=settings.root_company_name)
    registry = build_registry()
    strict = not settings.autotask_mode
    records = RecordService(db, registry, strict=strict, duplicate_checks=strict)
    duplicates = DuplicateService(db, registry)
    if migrate:
        duplicates.ensure_indexed()
    return Services(
        settings=settings,
        db=db,
        registry=registry,
        records=records,
        auth=Authenticator(db, settings.credential_cache_seconds),
        admin=AdminService(db, registry, records),
        merges=MergeService(db, registry),
        duplicates=duplicates,
    )
