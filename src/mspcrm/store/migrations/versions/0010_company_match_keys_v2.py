"""company match keys v2: identity keys (exact name, parent domains, address)

Revision ID: 0010
Revises: 0003
Create Date: 2026-11-27 08:30:00

A data migration: every company gains the blocking keys of the families added in v2 —
``name:`` (the exact name key), ``addr:`` (street with postal code, street with city)
and ``domain:`` parents (a subdomain's parent domain) — computed by the current
``blocking_keys_company``. With ``phone:`` and ``domain:`` these are the identity keys a
scan for matched pairs reads (docs/duplicates.md). The other keys did not change, nor
did contacts'. On SQLite about a minute per million companies.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from mspcrm.domain.duplicates import profile_for
from mspcrm.domain.entities import COMPANY
from mspcrm.store import match_keys

revision: str = "0010"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NEW_FAMILIES = ("name", "addr", "domain")


def upgrade() -> None:
    profile = profile_for(COMPANY.name)
    match_keys.add_keys(op.get_bind(), COMPANY, profile.fields, profile.blocking_keys, NEW_FAMILIES)


def downgrade() -> None:
    delete = sa.text("DELETE FROM match_keys WHERE entity = 'Company' AND key LIKE :prefix")
    for family in ("name", "addr"):  # parent domains stay: harmless, and few
        op.get_bind().execute(delete, {"prefix": f"{family}:%"})
