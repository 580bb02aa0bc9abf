"""Apply the Alembic migrations, then the reference data; run on every start."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection, Engine

from mspcrm.store.database import Database
from mspcrm.store.migrate_schema import version_schema
from mspcrm.store.seed import seed_reference_data

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def head_revisions() -> set[str]:
    return set(ScriptDirectory.from_config(alembic_config()).get_heads())


def current_revisions(engine: Engine) -> set[str]:
    with engine.connect() as conn:
        options = {"version_table_schema": version_schema(conn)}
        return set(MigrationContext.configure(conn, opts=options).get_current_heads())


def upgrade(db: Database, *, root_company_name: str = "My MSP") -> None:
    """Bring the schema to the newest revision and make sure reference data exists."""
    if current_revisions(db.engine) != head_revisions():
        with db.engine.begin() as conn:
            command.upgrade(alembic_config(conn), "heads")
    with db.write() as conn:
        db.lock(conn, "mspcrm-seed")
        seed_reference_data(conn, root_company_name=root_company_name)
