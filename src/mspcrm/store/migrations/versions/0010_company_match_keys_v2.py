"""company match keys v2: identity keys (exact name, domain and parents, E.164 phone, address)

Revision ID: 0010
Revises: 0003
Create Date: 2026-11-27 08:30:00

A data migration: the blocking keys of every company are computed anew with the
current ``blocking_keys_company`` (the keys a scan for matched pairs reads, see
docs/duplicates.md). Contacts' keys did not change.
"""

from collections.abc import Sequence

from alembic import op

from mspcrm.domain.duplicates import profile_for
from mspcrm.domain.entities import COMPANY
from mspcrm.store import match_keys

revision: str = "0010"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    profile = profile_for(COMPANY.name)
    match_keys.rebuild(op.get_bind(), COMPANY, profile.fields, profile.blocking_keys)


def downgrade() -> None:
    """The old keys are gone; the index of v2 keys still finds every old candidate."""
