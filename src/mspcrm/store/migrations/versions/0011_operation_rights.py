"""operation rights (import, export) on security levels

Revision ID: 0011
Revises: 0006
Create Date: 2026-12-08 01:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Levels defined before import and export were rights of their own get neither: an
    # operator grants them with `mspcrm security-levels add NAME ... --operations ...`.
    # a plain ADD COLUMN on both engines: SQLite's batch mode would recreate the table and
    # drop the revocation triggers of 0012 (a sibling of this revision, either may run first)
    op.add_column(
        "security_levels",
        sa.Column("operations", sa.String(length=100), nullable=False, server_default=""),
    )


def downgrade() -> None:
    # SQLite recreates the table here: after a downgrade, upgrade again to get 0012's
    # triggers back (its create_triggers), or downgrade 0012 too
    with op.batch_alter_table("security_levels") as batch:
        batch.drop_column("operations")
