"""Webhook callouts as Autotask sends them: the body, its escaping and its signature.

The body is ``{"Action", "Guid", "EntityType", "Id", "Fields", "EventTime",
"SequenceNumber", "PersonID"}``. Autotask signs the JSON with every string escaped
the way .NET's default encoder does: ``& < > ' " ` +`` and every non-ASCII character
as ``\\uXXXX`` (UTF-16 code units, upper-case hex). We send exactly the bytes we sign,
so a receiver that signs the raw body and one that escapes it first (as Autotask's
documentation and most integrations do) both agree:

    X-Hook-Signature: sha1=<base64 HMAC-SHA1(secretKey, body)>
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping
from enum import Enum
from typing import Any

SIGNATURE_HEADER = "X-Hook-Signature"
_ESCAPED = {"&", "<", ">", "'", '"', "`", "+"}


class Action(Enum):
    """What a callout reports."""

    CREATE = "Create"
    UPDATE = "Update"
    DELETE = "Delete"
    DEACTIVATED = "Deactivated"


OPS = {"create": Action.CREATE, "update": Action.UPDATE, "delete": Action.DELETE}


def _escape_char(ch: str) -> str:
    if ch in _ESCAPED or ord(ch) > 127:
        units = ch.encode("utf-16-be")
        return "".join(f"\\u{units[i]:02X}{units[i + 1]:02X}" for i in range(0, len(units), 2))
    return ch


def escape_string(text: str) -> str:
    """``text`` as a JSON string literal with Autotask's escaping."""
    plain = json.dumps(text, ensure_ascii=False)[1:-1]  # control characters, backslash
    plain = plain.replace('\\"', '"')  # quotes are escaped as \u0022 instead
    return '"' + "".join(_escape_char(ch) for ch in plain) + '"'


def dumps(value: Any) -> str:
    """Compact JSON, every string (keys too) escaped as Autotask escapes it."""
    if isinstance(value, str):
        return escape_string(value)
    if isinstance(value, Mapping):
        items = (f"{escape_string(str(k))}:{dumps(v)}" for k, v in value.items())
        return "{" + ",".join(items) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(dumps(v) for v in value) + "]"
    return json.dumps(value)


def callout_body(
    *,
    action: str,
    guid: str,
    entity_type: str,
    record_id: int,
    fields: Mapping[str, Any],
    event_time: str,
    sequence_number: int | None,
    person_id: int | None,
) -> str:
    """The body of one callout, keys in Autotask's order."""
    return dumps(
        {
            "Action": action,
            "Guid": guid,
            "EntityType": entity_type,
            "Id": record_id,
            "Fields": dict(fields),
            "EventTime": event_time,
            "SequenceNumber": sequence_number,
            "PersonID": person_id,
        }
    )


def signature(secret: str, body: str) -> str:
    """The ``X-Hook-Signature`` value for ``body`` signed with ``secret``."""
    digest = hmac.new(secret.encode(), body.encode(), hashlib.sha1).digest()
    return "sha1=" + base64.b64encode(digest).decode()


def feed_item(
    *,
    action: str,
    entity_type: str,
    record_id: int,
    fields: Mapping[str, Any],
    event_time: str,
    sequence_number: int,
    person_id: int | None,
) -> dict[str, Any]:
    """An event of the feed: a callout's payload without a webhook (``Guid`` null)."""
    return {
        "Action": action,
        "Guid": None,
        "EntityType": entity_type,
        "Id": record_id,
        "Fields": dict(fields),
        "EventTime": event_time,
        "SequenceNumber": sequence_number,
        "PersonID": person_id,
    }
