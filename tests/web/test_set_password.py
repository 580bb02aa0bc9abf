"""``mspcrm resources set-password``: asked for twice with hidden input, stored as
argon2id, and then good for a web sign-in."""

from __future__ import annotations

from click.testing import CliRunner
from starlette.testclient import TestClient

from mspcrm.api.app import create_app
from mspcrm.cli.main import cli
from mspcrm.services.crm import Services
from tests.web.conftest import sign_in

USER = "pat.person@msp.example"
PASSWORD = "a long enough password"


def test_set_password_prompts_and_the_password_signs_in(services: Services, db_url: str) -> None:
    services.admin.create_resource("Pat", "Person", USER)
    runner = CliRunner()
    done = runner.invoke(
        cli,
        ["resources", "set-password", USER, "--database", db_url],
        input=f"{PASSWORD}\n{PASSWORD}\n",
    )
    assert done.exit_code == 0, done.output
    assert PASSWORD not in done.output  # hidden input: not echoed
    assert "Web password set" in done.output
    with TestClient(create_app(services=services), base_url="http://testserver") as web:
        assert sign_in(web, USER, PASSWORD).status_code == 303


def test_set_password_refuses_a_short_one_and_an_unknown_user(
    services: Services, db_url: str
) -> None:
    services.admin.create_resource("Pat", "Person", USER)
    short = CliRunner().invoke(
        cli, ["resources", "set-password", USER, "--password", "short", "--database", db_url]
    )
    assert short.exit_code != 0 and "at least 10 characters" in short.output
    unknown = CliRunner().invoke(
        cli,
        ["resources", "set-password", "nobody@x", "--password", PASSWORD, "--database", db_url],
    )
    assert unknown.exit_code != 0 and "No resource with the username or e-mail" in unknown.output
