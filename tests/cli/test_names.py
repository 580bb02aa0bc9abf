"""One human name per entity, from its declaration, used alike by the CLI and the agent
tools; older CLI spellings still work."""

from __future__ import annotations

from click.testing import CliRunner

from mspcrm.cli.main import cli
from mspcrm.domain.entities import build_registry


def test_names_come_from_the_declarations() -> None:
    registry = build_registry()
    site = registry.by_name("CompanyLocation")
    assert (site.singular, site.plural_noun, site.command, site.tool_noun) == (
        "site",
        "sites",
        "sites",
        "site",
    )
    note = registry.by_name("CompanyNote")
    assert (note.command, note.tool_noun) == ("company-notes", "company_note")
    assert registry.by_name("Company").command == "companies"


def test_every_entity_has_its_command_and_older_names_still_work() -> None:
    for entity in build_registry():
        assert entity.command in cli.commands, entity.name
        for former in entity.former_names:
            alias = cli.commands[former]
            assert alias.hidden and set(alias.commands) == set(
                cli.commands[entity.command].commands
            )
    listed = CliRunner().invoke(cli, ["--help"]).output
    assert " sites " in listed and " locations " not in listed
    assert CliRunner().invoke(cli, ["locations", "search", "--help"]).exit_code == 0
