"""The agent's safety rules: read-only mode, write allow-list, protected companies.

A rule that stops a call raises ``Refusal``: which rule, why, and what to do
instead, so the agent can correct itself instead of guessing.
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from mspcrm.domain.rules import ROOT_COMPANY_ID, protected_company_changes


class Refusal(Exception):
    """A call the server will not run; ``rule`` names the safety rule."""

    def __init__(self, rule: str, message: str, instead: str, **details: Any) -> None:
        super().__init__(message)
        self.rule = rule
        self.message = message
        self.instead = instead
        self.details = details

    def to_dict(self) -> dict[str, Any]:
        return {
            "refused": True,
            "rule": self.rule,
            "message": self.message,
            "instead": self.instead,
            **self.details,
        }


def protected_from_env() -> set[int]:
    """Company ids from ``MSPCRM_PROTECTED_COMPANIES`` (comma separated)."""
    raw = os.environ.get("MSPCRM_PROTECTED_COMPANIES", "")
    return {int(part) for part in raw.replace(" ", "").split(",") if part}


@dataclass(frozen=True)
class Policy:
    """What this server lets an agent do, and in whose name."""

    read_only: bool = False
    allow_tools: frozenset[str] | None = None  # write tools allowed (names or glob patterns)
    protected_companies: frozenset[int] = field(default_factory=frozenset)
    agent_name: str = "agent"
    on_behalf_of: str | None = None

    @property
    def protected(self) -> frozenset[int]:
        return self.protected_companies | {ROOT_COMPANY_ID}

    def allows(self, tool: str) -> bool:
        """Whether a write tool may run (read tools always may)."""
        if self.read_only:
            return False
        if self.allow_tools is None:
            return True
        return any(fnmatch.fnmatchcase(tool, pattern) for pattern in self.allow_tools)

    def check_write(self, tool: str) -> None:
        if self.read_only:
            raise Refusal(
                "read_only",
                f"{tool} changes data, and this server runs in read-only mode (--read-only).",
                "Use the search and get tools only, or ask the operator to restart the "
                "server without --read-only.",
            )
        if not self.allows(tool):
            allowed = ", ".join(sorted(self.allow_tools or ())) or "none"
            raise Refusal(
                "allow_list",
                f"{tool} is not in this server's write allow-list (--allow-tools {allowed}).",
                "Use one of the allowed write tools, or ask the operator to add this tool "
                "to --allow-tools.",
            )

    def attribution(self) -> str:
        """``agent`` or ``agent for human``: who made a write."""
        if self.on_behalf_of:
            return f"{self.agent_name} for {self.on_behalf_of}"
        return self.agent_name


def check_company_update(policy: Policy, record_id: int, changes: Mapping[str, Any]) -> None:
    """A protected company may not be renamed, retyped or deactivated by an agent, whatever
    its level (company 0 is protected for every surface by the services' rule too)."""
    if record_id not in policy.protected:
        return
    touched = protected_company_changes(changes)  # the rule the services apply to company 0
    if touched:
        raise Refusal(
            "protected_company",
            f"Company {record_id} is protected: its {', '.join(touched)} cannot be changed "
            "by an agent (company 0, the MSP itself, and --protect-company ids).",
            "Leave these fields out and update the others, or ask a person to make this "
            "change in the CRM.",
            protectedCompanyID=record_id,
        )


def check_merge(policy: Policy, entity: str, other_id: int) -> None:
    """A protected company may not be merged away (it would be renamed and deactivated)."""
    if entity.lower() in ("company", "companies") and other_id in policy.protected:
        raise Refusal(
            "protected_company",
            f"Company {other_id} is protected and cannot be merged away.",
            f"Swap the ids (keep_id={other_id}) to merge the other company into it, or ask "
            "a person.",
            protectedCompanyID=other_id,
        )


NOT_COMPANY_WORDS = {"hi", "hello", "thanks", "thank you", "regards", "click here", "unknown"}


def check_company_name(name: Any, free_mail: Iterable[str]) -> None:
    """Refuse names that are not a company: e-mail addresses, webmail, greetings, sentences."""
    text = str(name or "").strip()
    lowered = text.lower().rstrip(".!")
    problem = None
    if "@" in text:
        problem = "looks like an e-mail address"
    elif lowered in set(free_mail):
        problem = "is a webmail domain, not a company"
    elif lowered in NOT_COMPANY_WORDS:
        problem = "is a greeting or filler text"
    elif len(text.split()) > 12 or text.endswith("?"):
        problem = "reads like a sentence"
    if problem:
        raise Refusal(
            "unsafe_company_name",
            f"The company name {text!r} {problem}.",
            "Ask the user for the organisation's real name, or find the existing company "
            "with the search tool (by e-mail domain or phone).",
        )
