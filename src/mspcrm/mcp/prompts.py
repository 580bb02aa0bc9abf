"""MCP prompts for the seed's workflows: onboard a client, clean up duplicates, audit an
account. Each is a short, ordered plan in terms of this server's tools (a test checks
every tool a prompt names exists), with the human's confirmation where the seed asks for
one."""

from __future__ import annotations

import re
from dataclasses import dataclass

import mcp_types as types

from mspcrm.errors import NotFoundError, ValidationError


@dataclass(frozen=True)
class PromptSpec:
    name: str
    title: str
    description: str
    arguments: tuple[tuple[str, str, bool], ...]  # (name, description, required)
    template: str  # str.format with the arguments

    def render(self, arguments: dict[str, str]) -> str:
        missing = [n for n, _, required in self.arguments if required and not arguments.get(n)]
        if missing:
            raise ValidationError(f"prompt {self.name}: {', '.join(missing)} is required")
        values = {n: (arguments.get(n) or "").strip() for n, _, _ in self.arguments}
        return self.template.format(**values)


PROMPTS = (
    PromptSpec(
        "onboard_client",
        "Onboard a new client",
        "Company, primary contact, sites, contract and notes in one transaction, planned "
        "and confirmed first.",
        (
            ("company_name", "The client's organisation name", True),
            ("details", "Anything known: contacts, sites, contract, account manager", False),
        ),
        "Onboard {company_name} as a new client. Known details: {details}\n\n"
        "1. `search` companies for the name, its web domain and its phone. If a candidate "
        "may be this client, show it and ask whether to use it (useExisting) before going on.\n"
        "2. `onboarding_template` for the document's shape; fill it from the details, and ask "
        "for what a client needs and is missing (primary contact, a site).\n"
        "3. `onboarding_plan` with the document: show the plan (every step create, update or "
        "unchanged) and ask the person to confirm it.\n"
        "4. Only after a yes: `onboard_client` with the plan's fingerprint and a new "
        "idempotency key. Report the ids created; if it refuses, say which rule and why.",
    ),
    PromptSpec(
        "clean_up_duplicates",
        "Clean up duplicates",
        "Find near-duplicate companies or contacts and merge the ones a person confirms.",
        (("entity", "Companies or Contacts (default Companies)", False),),
        "Clean up duplicate {entity} records.\n\n"
        "1. `duplicate_scan` for the entity. List the clusters with their scores and evidence, "
        "best first; point out any whose evidence names a relationship (a parent and its "
        "child, a different company type) - those are usually not duplicates.\n"
        "2. For each cluster the person picks: decide which record to keep (the one with more "
        "history and links), then `merge_plan` and show every fill, move and the retirement.\n"
        "3. Merge only after the person confirms that plan: `merge` with its fingerprint and "
        "a new idempotency key. Keep the merge id: `merge_undo` reverses it if it was wrong.\n"
        "Never merge a protected company or company 0.",
    ),
    PromptSpec(
        "audit_account",
        "Audit an account",
        "Check one client's data: fields, hierarchy, contacts, sites, pipeline; propose fixes.",
        (("company", "The company's id or name", True),),
        "Audit the account {company}.\n\n"
        "1. If it is not an id, `search` companies for it and ask which one when unsure.\n"
        "2. `get_company_360` for the record, its parent and children, contacts, sites, "
        "opportunities and contracts; `company_tree` and `company_rollup` when it has "
        "children.\n"
        "3. `data_quality_audit` and keep the findings about this company, its contacts and "
        "its sites; also check: a primary contact and a primary site, phone and web address "
        "present and well-formed, an account manager, no inactive primary contact.\n"
        "4. Report the findings by severity, each with the fix. Make a fix (`update_company`, "
        "`update_contact`, `deactivate_contact`, ...) only when the person asks for it.",
    ),
)
_BY_NAME = {p.name: p for p in PROMPTS}
TOOL_REFERENCE = re.compile(r"`([a-z_]+)`")


def tools_named(prompt: PromptSpec) -> set[str]:
    """The tools a prompt tells the agent to call (the `name` spans of its template)."""
    return set(TOOL_REFERENCE.findall(prompt.template))


def listed() -> list[types.Prompt]:
    return [
        types.Prompt(
            name=p.name,
            title=p.title,
            description=p.description,
            arguments=[
                types.PromptArgument(name=n, description=d, required=r) for n, d, r in p.arguments
            ],
        )
        for p in PROMPTS
    ]


def get(name: str, arguments: dict[str, str] | None) -> types.GetPromptResult:
    prompt = _BY_NAME.get(name)
    if prompt is None:
        raise NotFoundError(f"No prompt {name!r}: use one of {', '.join(_BY_NAME)}")
    text = prompt.render(dict(arguments or {}))
    message = types.PromptMessage(role="user", content=types.TextContent(text=text))
    return types.GetPromptResult(description=prompt.description, messages=[message])
