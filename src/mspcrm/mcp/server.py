"""The MCP server: tools and resources over the low-level ``mcp`` server, on stdio or HTTP.

Tool functions are plain synchronous code over the SDK; they run in a worker
thread. Every call ends in one JSON result (``structuredContent`` and the same
JSON as text); refusals and errors are results with ``isError`` set and a
message that says what to do instead.
"""

from __future__ import annotations

import re
from typing import Any

import anyio
import jsonschema  # type: ignore[import-untyped]
import mcp_types as types
import orjson
from mcp.server import Server, ServerRequestContext

from mspcrm import __version__
from mspcrm.errors import MspcrmError, NotFoundError, ValidationError
from mspcrm.mcp import prompts
from mspcrm.mcp.catalog import all_tools
from mspcrm.mcp.keys import KeyStore, request_hash
from mspcrm.mcp.safety import Policy, Refusal
from mspcrm.mcp.toolbox import Toolbox, ToolSpec
from mspcrm.targets import Target

INSTRUCTIONS = (
    "mspcrm: an MSP's CRM (companies, contacts, sites, opportunities, contracts). Search "
    "before you create or write; create tools for companies and contacts are find-or-create. "
    "Every write needs an idempotency_key: a new unique string (a UUID) per intended change; "
    "retrying with the same key returns the first result and never writes twice. Picklist "
    "fields take the value or the label. Tool schemas list each field's type; "
    "describe_entity gives lengths, references and every picklist. A refused call says "
    "which rule stopped it and what to do instead. See docs/agent-guide.md."
)
RESOURCE = re.compile(r"^mspcrm://(companies|contacts)/(\d+)$")


def result(body: dict[str, Any], *, error: bool = False) -> types.CallToolResult:
    text = orjson.dumps(body, option=orjson.OPT_NON_STR_KEYS).decode()
    return types.CallToolResult(
        content=[types.TextContent(text=text)], structured_content=body, is_error=error
    )


def error_body(exc: MspcrmError) -> dict[str, Any]:
    return {"error": type(exc).__name__, "messages": list(exc.errors)}


class McpApp:
    """The tools of one server: who may call what, and the run of one call."""

    def __init__(self, box: Toolbox) -> None:
        self.box = box
        self.tools = {spec.name: spec for spec in all_tools(box)}

    def listed(self) -> list[types.Tool]:
        policy = self.box.policy
        return [tool_of(s) for s in self.tools.values() if not s.writes or policy.allows(s.name)]

    def call(self, name: str, arguments: dict[str, Any]) -> types.CallToolResult:
        spec = self.tools.get(name)
        if spec is None:
            return result(
                {"error": "UnknownTool", "messages": [f"No tool named {name!r}"]}, error=True
            )
        try:
            if spec.writes:
                self.box.policy.check_write(name)
            check_arguments(spec, arguments)
            body = self.run_write(spec, arguments) if spec.writes else spec.run(self.box, arguments)
            return result(body)
        except Refusal as refusal:
            return result(refusal.to_dict(), error=True)
        except MspcrmError as exc:
            return result(error_body(exc), error=True)

    def run_write(self, spec: ToolSpec, arguments: dict[str, Any]) -> dict[str, Any]:
        """Run a write once per idempotency key; a retry gets the first result back."""
        key = str(arguments["idempotency_key"])
        policy = self.box.policy
        who = (policy.agent_name, policy.on_behalf_of)
        earlier = self.box.keys.begin(key, spec.name, request_hash(spec.name, arguments), who)
        if earlier is not None:
            return dict(earlier)
        try:
            body = spec.run(self.box, arguments)
        except BaseException:
            self.box.keys.release(key)
            raise
        record_id = body.get("id")
        self.box.keys.finish(key, body, body.get("entity"), record_id)
        return {**body, "idempotencyKey": key}


def check_arguments(spec: ToolSpec, arguments: dict[str, Any]) -> None:
    validator = jsonschema.Draft202012Validator(spec.input_schema)
    problems = [
        f"{'.'.join(map(str, e.absolute_path)) or 'arguments'}: {e.message}"
        for e in validator.iter_errors(arguments)
    ]
    if problems:
        raise ValidationError(*problems)


def tool_of(spec: ToolSpec) -> types.Tool:
    hints = types.ToolAnnotations(
        title=spec.title or None,
        read_only_hint=not spec.writes,
        destructive_hint=spec.destructive if spec.writes else None,
        idempotent_hint=spec.idempotent or None,
    )
    return types.Tool(
        name=spec.name,
        description=spec.description,
        input_schema=spec.input_schema,
        annotations=hints,
    )


def read_resource(box: Toolbox, uri: str) -> types.ReadResourceResult:
    match = RESOURCE.match(uri)
    if match is None:
        raise MspcrmError(
            f"Unknown resource {uri}: use mspcrm://companies/ID or mspcrm://contacts/ID"
        )
    record = box.client.entity(match[1]).get(int(match[2]))
    if record is None:
        raise NotFoundError(f"No {match[1]} record with id {match[2]}")
    text = orjson.dumps(record).decode()
    return types.ReadResourceResult(
        contents=[types.TextResourceContents(uri=uri, mime_type="application/json", text=text)]
    )


TEMPLATES = [
    types.ResourceTemplate(
        name=f"{noun}",
        uri_template=f"mspcrm://{noun}/{{id}}",
        description=f"One of the {noun} by id, as Autotask JSON",
        mime_type="application/json",
    )
    for noun in ("companies", "contacts")
]


def build_server(target: Target, policy: Policy, keys: KeyStore | None = None) -> Server[Any]:
    """The MCP server over a target (local database or remote server)."""
    from mspcrm.mcp.stores import key_store_for

    app = McpApp(Toolbox(target, policy, keys or key_store_for(target)))

    async def list_tools(ctx: ServerRequestContext[Any], params: Any) -> types.ListToolsResult:
        return types.ListToolsResult(tools=app.listed())

    async def call_tool(ctx: ServerRequestContext[Any], params: types.CallToolRequestParams) -> Any:
        arguments = dict(params.arguments or {})
        return await anyio.to_thread.run_sync(app.call, params.name, arguments)

    async def list_templates(
        ctx: ServerRequestContext[Any], params: Any
    ) -> types.ListResourceTemplatesResult:
        return types.ListResourceTemplatesResult(resource_templates=TEMPLATES)

    async def list_resources(
        ctx: ServerRequestContext[Any], params: Any
    ) -> types.ListResourcesResult:
        return types.ListResourcesResult(resources=[])

    async def read(ctx: ServerRequestContext[Any], params: types.ReadResourceRequestParams) -> Any:
        return await anyio.to_thread.run_sync(read_resource, app.box, str(params.uri))

    async def list_prompts(ctx: ServerRequestContext[Any], params: Any) -> types.ListPromptsResult:
        return types.ListPromptsResult(prompts=prompts.listed())

    async def get_prompt(
        ctx: ServerRequestContext[Any], params: types.GetPromptRequestParams
    ) -> types.GetPromptResult:
        return prompts.get(params.name, params.arguments)

    return Server(
        "mspcrm",
        version=__version__,
        instructions=INSTRUCTIONS,
        on_list_tools=list_tools,
        on_call_tool=call_tool,
        on_list_resources=list_resources,
        on_list_resource_templates=list_templates,
        on_read_resource=read,
        on_list_prompts=list_prompts,
        on_get_prompt=get_prompt,
    )
