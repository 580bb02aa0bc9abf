"""The composition of all services for one database and one set of settings."""

from __future__ import annotations

from dataclasses import dataclass

from mspcrm.config import Settings
from mspcrm.domain.entities import build_registry
from mspcrm.domain.entity import Registry
from mspcrm.services import rules  # noqa: F401  (registers the business rules)
from mspcrm.services.admin import AdminService
from mspcrm.services.agent_writes import AgentWriteLog
from mspcrm.services.auth import Authenticator
from mspcrm.services.duplicates import DuplicateService
from mspcrm.services.keyed_hash import CODE_KEY, KeyedHasher
from mspcrm.services.limits import LoginLimiter, RequestLimiter
from mspcrm.services.merge import MergeService
from mspcrm.services.permissions import Permissions
from mspcrm.services.records import RecordService
from mspcrm.services.revocation import Revocations
from mspcrm.services.web_accounts import WebAccounts
from mspcrm.services.webhooks import WebhookService
from mspcrm.store.database import Database
from mspcrm.store.limits import install_query_timeout
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
    permissions: Permissions
    limits: RequestLimiter
    revocations: Revocations
    agent_writes: AgentWriteLog
    web_accounts: WebAccounts
    webhooks: WebhookService

    def close(self) -> None:
        self.webhooks.stop_worker()
        self.limits.unregister()
        self.revocations.close()
        self.db.dispose()
        self.limits.db.dispose()


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
    install_query_timeout(db, settings.query_timeout_seconds)
    permissions = Permissions(db, registry)
    revocations = Revocations(db)
    revocations.on_change(permissions.forget)
    codes = KeyedHasher(db, CODE_KEY)
    limits_db = db  # SQLite: own connections without fsync, counters need not survive power loss
    if db.dialect == "sqlite":
        limits_db = Database(settings.database_url, sqlite_sync="NORMAL")
    logins = LoginLimiter(
        limits_db,
        limit=settings.login_failure_limit,
        address_limit=settings.login_address_failure_limit,
        window=settings.login_failure_window_seconds,
        backoff=settings.login_backoff_seconds,
        max_backoff=settings.login_backoff_max_seconds,
    )
    return Services(
        settings=settings,
        db=db,
        registry=registry,
        records=records,
        auth=Authenticator(
            db,
            settings.credential_cache_seconds,
            permissions=permissions,
            logins=logins,
            codes=codes,
            revocations=revocations,
        ),
        admin=AdminService(db, registry, records, codes),
        merges=MergeService(records),
        duplicates=duplicates,
        permissions=permissions,
        limits=RequestLimiter(
            limits_db,
            per_hour=settings.requests_per_hour,
            threads=settings.thread_limit,
            lease_seconds=settings.thread_lease_seconds,
        ),
        revocations=revocations,
        agent_writes=AgentWriteLog(db),
        web_accounts=WebAccounts(db, logins),
        webhooks=WebhookService(db, registry, records, settings),
    )
