"""Every moved workflow through the CLI twice: on a local database and with ``--url``
against a live ``mspcrm serve --compat autotask`` (no ``/api/v1``: the plain Autotask API).
Same data, same ids: the plan, the outcome and the errors must be identical."""

from __future__ import annotations

import httpx
import orjson
import pytest
from click.testing import CliRunner

from mspcrm.cli.main import cli
from mspcrm.workflows import estimates
from tests.workflows.conftest import StandIn


def run(args: list[str]) -> tuple[int, str]:
    result = CliRunner().invoke(cli, args)
    return result.exit_code, result.output


def both(stand_in: StandIn, *args: str) -> tuple[int, str]:
    """The command on the local database, then on the stand-in: the same answer."""
    local = run([*args, "--database", stand_in.local])
    remote = run([*args, *stand_in.remote_args()])
    assert remote == local, f"{args}:\nlocal:  {local}\nremote: {remote}"
    return local


def test_the_stand_in_serves_only_what_autotask_serves(stand_in: StandIn) -> None:
    assert httpx.get(f"{stand_in.url}/api/v1/openapi.json").status_code in (404, 500)
    with stand_in.client() as client:
        assert client.native.available() is False
        assert client.companies.get(stand_in.ids["holding"]) is not None


def test_hierarchy_contacts_and_transfer_are_identical(stand_in: StandIn) -> None:
    ids = {k: str(v) for k, v in stand_in.ids.items()}
    assert both(stand_in, "companies", "tree", ids["east"], "--json")[0] == 0
    code, text = both(stand_in, "companies", "tree", ids["holding"], "--contacts")
    assert code == 0 and "> Holding" in text and "East Clinic" in text, text
    both(stand_in, "companies", "tree", ids["holding"], "--max-depth", "1", "--json")
    both(stand_in, "companies", "rollup", ids["holding"], "--json")
    both(stand_in, "companies", "rollup", ids["holding"], "--csv")
    both(stand_in, "companies", "contacts", ids["acme"], "--json")
    assert both(stand_in, "companies", "tree", "99999")[0] == 3
    code, _ = both(stand_in, "contacts", "roles", ids["dana"], "--add", "Billing contact",
                   "--add", "technical contact", "--remove", "Authorizes work",
                   "--title", "Owner", "--json")  # fmt: skip
    assert code == 0
    code, text = both(stand_in, "contacts", "roles", ids["dana"], "--add", "Nope")
    assert code == 2 and "Invalid value for role" in text
    code, text = both(stand_in, "contacts", "deactivate", ids["p2"])
    assert code == 4 and "successor" in text
    both(stand_in, "contacts", "deactivate", ids["p2"], "--successor", ids["p0"])  # other company
    assert both(stand_in, "contacts", "deactivate", ids["p2"], "--successor", ids["p3"],
                "--json")[0] == 0  # fmt: skip
    assert both(stand_in, "contacts", "move", ids["p0"], "--to-company", ids["west"])[0] == 0
    assert both(stand_in, "contacts", "move", ids["p0"], "--to-company", ids["west"])[0] == 2
    for dry in (["--dry-run"], []):
        code, _ = both(stand_in, "companies", "transfer", "--from", "ann.lee@msp.example",
                       "--to", "bea@msp.example", "--opportunities", "--json", *dry)  # fmt: skip
        assert code == 0
    code, _ = both(stand_in, "companies", "transfer", "--from", ids["ann"], "--to", ids["ann"])
    assert code == 2
    for where in ("holding", "east", "west", "clinic", "acme"):
        both(stand_in, "companies", "contacts", ids[where], "--json")
    both(stand_in, "companies", "rollup", ids["holding"], "--json")
    both(stand_in, "companies", "tree", ids["clinic"], "--contacts")


def test_audit_and_reports_are_identical(stand_in: StandIn) -> None:
    code, text = both(stand_in, "audit", "--json")
    assert code == 0
    rules = {f["rule"] for f in orjson.loads(text)}
    assert {"duplicates.cluster", "opportunity.past-close", "contact.free-mail"} <= rules, rules
    both(stand_in, "audit", "--rule", "company.no-primary-contact", "--no-duplicates", "--csv")
    assert both(stand_in, "audit", "--rule", "nope")[0] == 2
    for by in ("type", "classification", "territory", "segment", "owner"):
        both(stand_in, "report", "companies", "--by", by, "--json")
    for by in ("stage", "status", "owner"):
        both(stand_in, "report", "pipeline", "--by", by, "--json")
    both(stand_in, "report", "pipeline", "--by", "stage", "--rollup",
         str(stand_in.ids["holding"]), "--json")  # fmt: skip
    both(stand_in, "report", "companies", "--by", "type", "--rollup", str(stand_in.ids["east"]))
    code, text = both(stand_in, "duplicates", "scan", "contacts", "--json")
    assert code == 0 and orjson.loads(text)["clusters"], text
    both(stand_in, "duplicates", "scan", "companies", "--include-ambiguous", "--csv")


def test_a_large_job_asks_first_with_the_share_of_the_threshold(
    stand_in: StandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(estimates, "ASK_ABOVE", 2)  # the seed is small: call 3 requests large
    code, text = run(["audit", "--json", *stand_in.remote_args()])
    assert code == 4, text
    assert "This audit needs about" in text and "% of the hourly threshold (" in text
    assert "--yes to go on" in text
    code, text = run(["duplicates", "scan", "contacts", *stand_in.remote_args()])
    assert code == 0, text  # one page: below even this bar
    assert run(["audit", "--json", "--yes", *stand_in.remote_args()])[0] == 0
    assert run(["audit", "--json", "--database", stand_in.local])[0] == 0  # one request locally
