"""Webhooks, as Autotask declares them: one family of entities per entity that supports them.

For a subject entity ``X`` (declared with ``supports_webhooks=True``) there are
``XWebhooks`` (the callout's configuration) and its children ``Fields``,
``UdfFields`` and ``ExcludedResources`` (``XWebhooks/{id}/Fields`` ...), plus the
read-only ``WebhookEventErrorLogs`` shared by every family. Nothing here names a
subject: the families are built from the subjects' declarations.

A subject field's webhook id (``fieldID``) is stable across releases: a number
derived from the field's name (``webhook_field_id``), listed as the ``fieldID``
picklist of ``XWebhookFields`` (only fields Autotask calls
``isSupportedWebhookField``: declared ``webhook=True`` and writable).
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable
from dataclasses import dataclass

from mspcrm.domain.entities.common import created_at, id_field
from mspcrm.domain.entity import Entity, ParentRoute
from mspcrm.domain.fields import Boolean, Default, Field, Integer, Long, Text
from mspcrm.domain.picklists import PicklistValue

SECRET_FIELD = "secretKey"
FIELD_ID_RANGE = 1_000_000
# Autotask's names for the error log's link to each family, where they differ from ours
ERROR_LOG_LINKS = {"Company": "accountWebhookID"}


@dataclass(frozen=True)
class WebhookFamily:
    """The entities that configure callouts for one subject entity."""

    subject: Entity
    webhook: Entity
    fields: Entity
    udf_fields: Entity | None  # only for an entity with UDFs
    excluded: Entity

    @property
    def children(self) -> tuple[Entity, ...]:
        return tuple(e for e in (self.fields, self.udf_fields, self.excluded) if e is not None)

    @property
    def subscriptions(self) -> tuple[Entity, ...]:
        """The children whose rows subscribe (fields, and UDFs where there are any)."""
        return tuple(e for e in (self.fields, self.udf_fields) if e is not None)

    @property
    def entities(self) -> tuple[Entity, ...]:
        return (self.webhook, *self.children)


def supported_field(f: Field) -> bool:
    """Autotask's ``isSupportedWebhookField``."""
    return f.webhook and not f.read_only and not f.udf


def webhook_field_id(entity: Entity, f: Field) -> int:
    """The stable id a subscription names ``f`` by (``Field.extra['webhook_field_id']``
    overrides it should two names ever collide)."""
    given = f.extra.get("webhook_field_id")
    if isinstance(given, int):
        return given
    return zlib.crc32(f"{entity.name}.{f.name}".encode()) % FIELD_ID_RANGE or FIELD_ID_RANGE


def field_ids(entity: Entity) -> dict[int, Field]:
    """Webhook field id -> field, for every supported field of ``entity``."""
    found: dict[int, Field] = {}
    for f in entity.fields:
        if not supported_field(f):
            continue
        number = webhook_field_id(entity, f)
        if number in found:
            raise ValueError(
                f"{entity.name}: {f.name} and {found[number].name} share webhook field id "
                f"{number}; give one an extra['webhook_field_id']"
            )
        found[number] = f
    return found


def field_picklist(entity: Entity) -> tuple[PicklistValue, ...]:
    """The ``fieldID`` picklist of ``entity``'s webhook fields, by field name."""
    ordered = sorted(field_ids(entity).items(), key=lambda item: item[1].name.lower())
    return tuple(
        PicklistValue(value=number, label=f.name, sort_order=i, is_system=True)
        for i, (number, f) in enumerate(ordered)
    )


def _flag(name: str, default: bool = False) -> Field:
    return Field(name, Boolean(), default=default, webhook=False)


def _webhook(subject: Entity) -> Entity:
    return Entity(
        name=f"{subject.name}Webhook",
        path=f"{subject.name}Webhooks",
        fields=(
            id_field(),
            Field("deactivationUrl", Text(500), required=True, webhook=False),
            _flag("isActive", default=True),
            Field("isReady", Boolean(), read_only=True, webhook=False),
            _flag("isSubscribedToCreateEvents"),
            _flag("isSubscribedToDeleteEvents"),
            _flag("isSubscribedToUpdateEvents"),
            Field("name", Text(50), required=True, webhook=False),
            Field("notificationEmailAddress", Text(150), webhook=False),
            Field(
                "ownerResourceID",
                Integer(),
                reference="Resource",
                default=Default.ACTING_RESOURCE,
                webhook=False,
            ),
            Field(
                SECRET_FIELD,
                Text(64),
                queryable=False,
                webhook=False,
                write_only=True,
                description="Write-only: signs the callouts; never returned, logged or kept "
                "in history",
            ),
            _flag("sendThresholdExceededNotification"),
            Field("webhookGUID", Text(100), read_only=True, webhook=False),
            Field("webhookUrl", Text(500), required=True, webhook=False),
        ),
        can_delete=True,
        webhook_for=subject.name,
        lookup_fields=("name",),
        title_fields=("name",),
        list_fields=("name", "webhookUrl", "isActive", "isReady"),
    )


def _child(webhook: Entity, name: str, segment: str, fields: Iterable[Field]) -> Entity:
    return Entity(
        name=f"{webhook.name}{name}",
        path=f"{webhook.name}{name}s",
        fields=(
            id_field(),
            *fields,
            Field("webhookID", Integer(), required=True, reference=webhook.name, webhook=False),
        ),
        can_delete=True,
        can_update=name != "ExcludedResource",
        webhook_for=webhook.webhook_for,
        parent=ParentRoute(entity=webhook.name, segment=segment, field="webhookID"),
    )


def family(subject: Entity) -> WebhookFamily:
    webhook = _webhook(subject)
    subscription = (_flag("isDisplayAlwaysField"), _flag("isSubscribedField"))
    field_id = Field("fieldID", Integer(), required=True, picklist=True, webhook=False)
    return WebhookFamily(
        subject=subject,
        webhook=webhook,
        fields=_child(webhook, "Field", "Fields", (field_id, *subscription)),
        udf_fields=_child(
            webhook,
            "UdfField",
            "UdfFields",
            (*subscription, Field("udfFieldID", Integer(), required=True, webhook=False)),
        )
        if subject.has_udfs
        else None,
        excluded=_child(
            webhook,
            "ExcludedResource",
            "ExcludedResources",
            (Field("resourceID", Integer(), required=True, reference="Resource", webhook=False),),
        ),
    )


def error_log_link(subject: Entity) -> str:
    default = subject.name[:1].lower() + subject.name[1:] + "WebhookID"
    return ERROR_LOG_LINKS.get(subject.name, default)


def error_log(families: Iterable[WebhookFamily]) -> Entity:
    links = [
        Field(error_log_link(f.subject), Integer(), reference=f.webhook.name, webhook=False)
        for f in families
    ]
    return Entity(
        name="WebhookEventErrorLog",
        path="WebhookEventErrorLogs",
        fields=(
            id_field(),
            *sorted(links, key=lambda f: f.name.lower()),
            created_at("createDateTime"),
            Field("errorMessage", Text(8000), webhook=False),
            Field("payload", Text(32000), queryable=False, webhook=False),
            Field("sequenceNumber", Long(), webhook=False),
        ),
        can_create=False,
        can_update=False,
        can_delete=False,
        api_writable=False,
        list_fields=("createDateTime", "sequenceNumber", "errorMessage"),
    )
