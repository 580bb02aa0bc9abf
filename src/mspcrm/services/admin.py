"""Installation management: resources and API users, picklists, UDF definitions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mspcrm.domain.entities import RESOURCE
from mspcrm.domain.entity import Entity, Registry
from mspcrm.domain.picklists import PicklistValue
from mspcrm.domain.udfs import UdfDefinition
from mspcrm.errors import NotFoundError, ValidationError
from mspcrm.services import auth
from mspcrm.services.context import SYSTEM
from mspcrm.services.keyed_hash import CODE_KEY, KeyedHasher
from mspcrm.services.records import RecordService
from mspcrm.store import catalog, credentials, security
from mspcrm.store.database import Database

SECURITY_LEVELS = ("full", "read-only")


@dataclass(frozen=True)
class ApiUser:
    resource_id: int
    username: str
    integration_code: str
    secret: str


class AdminService:
    def __init__(
        self,
        db: Database,
        registry: Registry,
        records: RecordService,
        codes: KeyedHasher | None = None,
    ) -> None:
        self.db = db
        self.registry = registry
        self.records = records
        self.codes = codes or KeyedHasher(db, CODE_KEY)

    def create_resource(
        self,
        first_name: str,
        last_name: str,
        email: str,
        *,
        username: str | None = None,
        title: str | None = None,
        security_level: str = "full",
        api_user: bool = False,
        integration_code: str | None = None,
        secret: str | None = None,
    ) -> tuple[int, ApiUser | None]:
        """A new resource; with ``api_user``, also its API credentials (secret shown once)."""
        self._check_level(security_level)
        body: dict[str, Any] = {
            "firstName": first_name,
            "lastName": last_name,
            "email": email,
            "userName": username or email,
            "title": title,
        }
        if api_user:
            body["userType"] = 2
        code = (integration_code or auth.new_integration_code()).strip()
        code_hash = self.codes.digest(code)  # before the write: the key may be created first
        with self.db.write() as conn:
            resource_id = self.records.create_in(conn, RESOURCE, body, SYSTEM)
            self.records.related_update(
                conn, RESOURCE, {"id": resource_id}, {"securityLevel": security_level}, SYSTEM
            )
            if not api_user:
                return resource_id, None
            user = ApiUser(
                resource_id=resource_id,
                username=username or email,
                integration_code=code,
                secret=secret or auth.new_secret(),
            )
            credentials.add(
                conn,
                resource_id,
                user.username,
                code_hash,
                auth.hash_secret(user.secret),
            )
            return resource_id, user

    # ---- changes that revoke access (seen by every process on its next request) ---------
    def set_active(self, username: str, active: bool) -> int:
        """(De)activate the resource of API user ``username``; its id."""
        with self.db.write() as conn:
            resource_id = self._api_user_id(conn, username)
            self.records.related_update(
                conn, RESOURCE, {"id": resource_id}, {"isActive": active}, SYSTEM
            )
        return resource_id

    def set_security_level(self, username: str, level: str) -> int:
        self._check_level(level)
        with self.db.write() as conn:
            resource_id = self._api_user_id(conn, username)
            self.records.related_update(
                conn, RESOURCE, {"id": resource_id}, {"securityLevel": level}, SYSTEM
            )
        return resource_id

    def new_secret(self, username: str, secret: str | None = None) -> ApiUser:
        """A new secret for ``username`` (shown once); the old one stops working at once.
        The integration code stays (only its hash is stored, so it is not shown)."""
        chosen = secret or auth.new_secret()
        with self.db.write() as conn:
            resource_id = self._api_user_id(conn, username)
            credentials.set_secret_hash(conn, resource_id, auth.hash_secret(chosen))
        return ApiUser(resource_id, username.strip(), "", chosen)

    def new_integration_code(self, username: str, code: str | None = None) -> ApiUser:
        """A new integration code for ``username`` (shown once); the old one stops working."""
        chosen = (code or auth.new_integration_code()).strip()
        code_hash = self.codes.digest(chosen)
        with self.db.write() as conn:
            resource_id = self._api_user_id(conn, username)
            credentials.set_code_hash(conn, resource_id, code_hash)
        return ApiUser(resource_id, username.strip(), chosen, "")

    @staticmethod
    def _api_user_id(conn: Any, username: str) -> int:
        row = credentials.find(conn, username)
        if row is None:
            raise NotFoundError(f"No API user named {username!r}")
        return int(row.resource_id)

    def _check_level(self, name: str) -> None:
        """A built-in level or one defined with ``mspcrm security-levels add``."""
        if name in SECURITY_LEVELS:
            return
        with self.db.read() as conn:
            if security.find_level(conn, name) is not None:
                return
        levels = ", ".join(SECURITY_LEVELS)
        raise ValidationError(
            f"Invalid security level {name!r}: use {levels} or a level defined with "
            "`mspcrm security-levels add`"
        )

    def picklists(self, key: str | None = None) -> dict[str, list[PicklistValue]]:
        with self.db.read() as conn:
            found = catalog.picklists(conn, None if key is None else [self._key(key)])
        if key is not None and not found:
            raise NotFoundError(f"No picklist {key!r}: see `mspcrm picklists list`")
        return found

    def add_picklist_value(
        self, key: str, label: str, *, value: int | None = None, is_default: bool = False
    ) -> PicklistValue:
        canonical = self._key(key)
        with self.db.write() as conn:
            return catalog.add_picklist_value(
                conn, canonical, label, value=value, is_default=is_default
            )

    def _key(self, key: str) -> str:
        """``company.companytype`` -> ``Company.companyType``, checked against the declarations."""
        entity_name, _, field_name = key.partition(".")
        entity = self.registry.by_name(entity_name)
        field = entity.field(field_name)
        if field is None or not field.picklist:
            raise NotFoundError(f"{entity.name} has no picklist field {field_name!r}")
        return field.picklist_key or f"{entity.name}.{field.name}"

    def udfs(self, entity: Entity | None = None) -> list[UdfDefinition]:
        with self.db.read() as conn:
            return catalog.udf_definitions(conn, None if entity is None else entity.name)

    def add_udf(self, definition: UdfDefinition) -> None:
        entity = self.registry.by_name(definition.entity)
        if not entity.has_udfs:
            raise ValidationError(f"The {entity.name} entity has no user-defined fields")
        if entity.field(definition.name) is not None:
            raise ValidationError(f"{definition.name!r} is already a field of {entity.name}")
        with self.db.write() as conn:
            existing = catalog.udf_definitions(conn, entity.name)
            if len(existing) >= entity.max_udfs:
                raise ValidationError(
                    f"{entity.name} already has {entity.max_udfs} UDFs, the maximum"
                )
            catalog.add_udf_definition(conn, definition)
