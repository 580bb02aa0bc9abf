"""installation settings, and match keys read in each record's region

Revision ID: 0013
Revises: 0003
Create Date: 2026-12-08 01:30:00

A table of installation settings (``default-region``: the region phone numbers written
without a country code are read in, when the record has no country), and a data
migration: every company's and contact's blocking keys computed again, because their
definition changed: phones are read in the record's country (a contact's: its company's),
the legal-form table grew (Ireland, the Nordics, Japan, ...), web domains stop at the
public-suffix list's registrable domain, and a contact's name keys include its name with
special letters written out ('Jürgen' / 'Juergen'). About two minutes per million records
on SQLite, once.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from mspcrm.domain.entities import COMPANY, CONTACT
from mspcrm.store.duplicate_keys import rebuild_keys

revision: str = "0013"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "installation_settings",
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("value", sa.String(length=200), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_installation_settings")),
    )
    for entity in (COMPANY, CONTACT):
        rebuild_keys(op.get_bind(), entity)


def downgrade() -> None:
    op.drop_table("installation_settings")
