"""The OpenAPI 3.1 document of both surfaces, generated from the entity declarations."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from mspcrm import __version__
from mspcrm.domain.entity import Entity, Registry
from mspcrm.domain.fields import Field

PREFIX = "/ATServicesRest/V1.0"
ERROR_STATUSES = ("400", "401", "403", "404", "405", "409", "413", "429", "500")
JSON = "application/json"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _content(schema: dict[str, Any]) -> dict[str, Any]:
    return {JSON: {"schema": schema}}


def field_schema(f: Field) -> dict[str, Any]:
    data_type = f.kind.data_type
    if data_type in ("integer", "long", "short"):
        schema: dict[str, Any] = {"type": "integer"}
    elif data_type in ("double", "decimal"):
        schema = {"type": "number"}
    elif data_type == "boolean":
        schema = {"type": "boolean"}
    elif data_type == "datetime":
        schema = {"type": "string", "format": "date-time"}
    else:
        schema = {"type": "string"}
        if f.length:
            schema["maxLength"] = f.length
    nullable = not (data_type == "boolean" or f.never_null or f.name == "id")
    if nullable:
        schema["type"] = [schema["type"], "null"]
    return schema


def _udf_list() -> dict[str, Any]:
    item = {
        "type": "object",
        "properties": {"name": {"type": "string"}, "value": {"type": ["string", "null"]}},
        "required": ["name", "value"],
    }
    return {"type": "array", "items": item}


def entity_schemas(entity: Entity) -> dict[str, Any]:
    read = {f.name: field_schema(f) for f in entity.fields}
    read["userDefinedFields"] = _udf_list()
    write: dict[str, Any] = {
        f.name: {} for f in entity.fields
    }  # any JSON value: the server coerces and explains
    write["userDefinedFields"] = {"type": ["array", "null"]}
    return {
        entity.name: {"type": "object", "properties": read, "required": list(read)},
        f"{entity.name}Write": {"type": "object", "properties": write},
    }


def _responses(ok: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"200": {"description": "OK", "content": _content(ok)}}
    for status in ERROR_STATUSES:
        out[status] = {"description": "Error", "content": _content(_ref("Errors"))}
    return out


def _op(
    summary: str, ok: dict[str, Any], body: dict[str, Any] | None = None, **extra: Any
) -> dict[str, Any]:
    operation: dict[str, Any] = {"summary": summary, "responses": _responses(ok), **extra}
    if body is not None:
        operation["requestBody"] = {"required": True, "content": _content(body)}
    return operation


ID_PARAM = {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}
PARENT_PARAM = {"name": "parentId", "in": "path", "required": True, "schema": {"type": "integer"}}
LIMIT_PARAM = {
    "name": "limit",
    "in": "query",
    "required": False,
    "schema": {"type": "integer", "minimum": 1, "maximum": 100},
}
SEARCH_PARAM = {"name": "search", "in": "query", "required": False, "schema": {"type": "string"}}


def entity_paths(entity: Entity, base: str, params: list[dict[str, Any]]) -> dict[str, Any]:
    name = entity.name
    item = {"type": "object", "properties": {"item": _ref(name)}, "required": ["item"]}
    item_id = {
        "type": "object",
        "properties": {"itemId": {"type": "integer"}},
        "required": ["itemId"],
    }
    writable = entity.api_writable
    paths: dict[str, Any] = {
        f"{base}/query": {
            "get": _op(
                f"Query {entity.path}", _ref(f"{name}Page"), parameters=[*params, SEARCH_PARAM]
            ),
            "post": _op(
                f"Query {entity.path}", _ref(f"{name}Page"), _ref("Query"), parameters=params
            ),
        },
        f"{base}/query/count": {
            "get": _op("Count", _ref("Count"), parameters=[*params, SEARCH_PARAM]),
            "post": _op("Count", _ref("Count"), _ref("Query"), parameters=params),
        },
        f"{base}/entityInformation": {
            "get": _op("Entity information", {"type": "object"}, parameters=params)
        },
        f"{base}/entityInformation/fields": {
            "get": _op("Fields", {"type": "object"}, parameters=params)
        },
    }
    single: dict[str, Any] = {"get": _op(f"Get a {name}", item, parameters=[*params, ID_PARAM])}
    if entity.can_delete and writable:
        single["delete"] = _op(f"Delete a {name}", item_id, parameters=[*params, ID_PARAM])
    paths[f"{base}/{{id}}"] = single
    if writable:
        collection: dict[str, Any] = {
            "post": _op(f"Create a {name}", item_id, _ref(f"{name}Write"), parameters=params)
        }
        if entity.can_update:
            collection["patch"] = _op(
                f"Update a {name}", item_id, _ref(f"{name}Write"), parameters=params
            )
            collection["put"] = _op(
                f"Replace a {name}", item_id, _ref(f"{name}Write"), parameters=params
            )
        paths[base] = collection
    return paths


def _page(entity: Entity) -> dict[str, Any]:
    details = {
        "type": "object",
        "properties": {
            "count": {"type": "integer"},
            "requestCount": {"type": "integer"},
            "prevPageUrl": {"type": ["string", "null"]},
            "nextPageUrl": {"type": ["string", "null"]},
        },
    }
    return {
        "type": "object",
        "properties": {
            "items": {"type": "array", "items": {"type": "object"}},
            "pageDetails": details,
        },
        "required": ["items", "pageDetails"],
    }


def _shared_schemas() -> dict[str, Any]:
    return {
        "Errors": {
            "type": "object",
            "properties": {
                "errors": {"type": "array", "items": {"type": "string"}},
                "Message": {"type": "string"},
            },
        },
        "Count": {
            "type": "object",
            "properties": {"queryCount": {"type": "integer"}},
            "required": ["queryCount"],
        },
        "Query": {
            "type": "object",
            "properties": {
                "filter": {"type": "array", "items": {"type": "object"}},
                "IncludeFields": {"type": "array", "items": {"type": "string"}},
                "MaxRecords": {"type": "integer"},
            },
        },
    }


def _native_paths() -> dict[str, Any]:
    merge_body = {
        "type": "object",
        "properties": {
            "entity": {"type": "string", "enum": ["Company", "Contact"]},
            "keepID": {"type": "integer"},
            "otherID": {"type": "integer"},
            "fingerprint": {"type": "string"},
            "dryRun": {"type": "boolean"},
        },
        "required": ["entity", "keepID", "otherID"],
    }
    anything = {"type": "object"}
    entity_param = {"name": "entity", "in": "path", "required": True, "schema": {"type": "string"}}
    return {
        "/api/v1/merges/plan": {"post": _op("Plan a merge", anything, merge_body)},
        "/api/v1/merges": {"post": _op("Merge (or dry-run)", anything, merge_body)},
        "/api/v1/merges/{id}": {"get": _op("A merge log entry", anything, parameters=[ID_PARAM])},
        "/api/v1/merges/{id}/undo": {"post": _op("Undo a merge", anything, parameters=[ID_PARAM])},
        "/api/v1/{entity}/duplicates/check": {
            "post": _op(
                "Scored duplicate candidates",
                anything,
                anything,
                parameters=[entity_param, LIMIT_PARAM],
            )
        },
        "/api/v1/{entity}/duplicates/scan": {
            "post": _op("Near-duplicate clusters", anything, anything, parameters=[entity_param])
        },
        "/api/v1/{entity}/{id}/history": {
            "get": _op("A record's history", anything, parameters=[entity_param, ID_PARAM])
        },
        **_import_export_paths(entity_param, anything),
        **_workflow_paths(),
    }


def _import_export_paths(entity_param: dict[str, Any], anything: dict[str, Any]) -> dict[str, Any]:
    def flag(name: str) -> dict[str, Any]:
        return {"name": name, "in": "query", "required": False, "schema": {"type": "boolean"}}

    def number(name: str) -> dict[str, Any]:
        return {"name": name, "in": "query", "required": False, "schema": {"type": "integer"}}

    csv_body = {"required": True, "content": {"text/csv": {"schema": {"type": "string"}}}}
    fmt = {"name": "format", "in": "query", "schema": {"type": "string", "enum": ["csv", "json"]}}
    import_op = _op(
        "Import a CSV file (dry run: the per-row report)",
        anything,
        parameters=[
            entity_param,
            flag("dryRun"),
            flag("updateExisting"),
            number("batchSize"),
            number("resume"),
        ],
    )
    import_op["requestBody"] = csv_body
    export_op = _op(
        "Export in the import format (streamed)", anything, parameters=[entity_param, fmt]
    )
    export_op["responses"]["200"] = {
        "description": "The records",
        "content": {"text/csv": {"schema": {"type": "string"}}, JSON: {"schema": {}}},
    }
    return {
        "/api/v1/imports/{entity}": {"post": import_op},
        "/api/v1/imports/jobs/{id}": {
            "get": _op("An import job: progress and counts", anything, parameters=[ID_PARAM])
        },
        "/api/v1/exports/{entity}": {"get": export_op},
    }


@lru_cache(maxsize=4)
def openapi_document(registry: Registry) -> dict[str, Any]:
    schemas = _shared_schemas()
    paths: dict[str, Any] = {}
    for entity in registry:
        schemas |= entity_schemas(entity)
        schemas[f"{entity.name}Page"] = _page(entity)
        paths |= entity_paths(entity, f"{PREFIX}/{entity.path}", [])
        if entity.parent is not None:
            parent = registry.by_name(entity.parent.entity)
            base = f"{PREFIX}/{parent.path}/{{parentId}}/{entity.parent.segment}"
            paths |= entity_paths(entity, base, [PARENT_PARAM])
    paths |= _native_paths()
    security = {
        name: {"type": "apiKey", "in": "header", "name": name}
        for name in ("ApiIntegrationCode", "UserName", "Secret")
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "mspcrm",
            "version": __version__,
            "description": "Autotask PSA REST compatible CRM, and the mspcrm extension API",
        },
        "paths": paths,
        "components": {"schemas": schemas, "securitySchemes": security},
        "security": [{name: [] for name in security}],
    }


def _workflow_paths() -> dict[str, Any]:
    """Onboarding, contact lifecycle, transfer, hierarchy, audit and reports (docs/workflows.md)."""
    anything = {"type": "object"}

    def query(name: str, kind: str = "integer") -> dict[str, Any]:
        return {"name": name, "in": "query", "required": False, "schema": {"type": kind}}

    def body(**properties: Any) -> dict[str, Any]:
        return {"type": "object", "properties": properties}

    integer, boolean, text = {"type": "integer"}, {"type": "boolean"}, {"type": "string"}
    roles = {"type": "array", "items": {"type": ["string", "integer"]}}
    company = "/api/v1/Companies/{id}"
    return {
        "/api/v1/onboarding": {
            "post": _op(
                "Onboard a client in one transaction (or plan it: dryRun)",
                anything,
                body(document=anything, dryRun=boolean, fingerprint=text),
            )
        },
        "/api/v1/onboarding/template": {"get": _op("The documented onboarding file", anything)},
        "/api/v1/Contacts/{id}/deactivate": {
            "post": _op(
                "Deactivate a contact, handing primary and roles to a successor",
                anything,
                body(successorID=integer, force=boolean),
                parameters=[ID_PARAM],
            )
        },
        "/api/v1/Contacts/{id}/move": {
            "post": _op(
                "Move a contact to another company",
                anything,
                body(companyID=integer),
                parameters=[ID_PARAM],
            )
        },
        "/api/v1/Contacts/{id}/roles": {
            "post": _op(
                "Add and remove a contact's roles, set the title",
                anything,
                body(add=roles, remove=roles, title=text),
                parameters=[ID_PARAM],
            )
        },
        f"{company}/contacts": {
            "get": _op(
                "A company's contacts with their roles",
                anything,
                parameters=[ID_PARAM, query("activeOnly", "boolean")],
            )
        },
        "/api/v1/Companies/transfer": {
            "post": _op(
                "Move account ownership from one resource to another (or dryRun)",
                anything,
                body(
                    fromResourceID=integer,
                    toResourceID=integer,
                    filter={"type": "array", "items": anything},
                    opportunities=boolean,
                    dryRun=boolean,
                ),
            )
        },
        f"{company}/tree": {
            "get": _op(
                "Ancestors and descendants", anything, parameters=[ID_PARAM, query("maxDepth")]
            )
        },
        f"{company}/descendants": {
            "get": _op(
                "Every company below this one",
                anything,
                parameters=[ID_PARAM, query("maxDepth")],
            )
        },
        f"{company}/rollup": {
            "get": _op("Roll-up over the subtree", anything, parameters=[ID_PARAM])
        },
        "/api/v1/audit": {
            "get": _op(
                "Data-quality findings",
                anything,
                parameters=[query("rules", "string"), query("duplicates", "boolean")],
            )
        },
        "/api/v1/reports/{report}": {
            "get": _op(
                "Companies or pipeline report",
                anything,
                parameters=[
                    {"name": "report", "in": "path", "required": True, "schema": text},
                    query("by", "string"),
                    query("rollup"),
                ],
            )
        },
    }
