"""agent writes: the MCP server's idempotency keys and write log

Revision ID: 0008
Revises: 0003
Create Date: 2026-11-27 06:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "agent_writes",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("tool", sa.String(length=60), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("agent", sa.String(length=100), nullable=False),
        sa.Column("on_behalf_of", sa.String(length=200), nullable=True),
        sa.Column("entity", sa.String(length=50), nullable=True),
        sa.Column("record_id", sa.BigInteger(), nullable=True),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_agent_writes")),
    )
    op.create_index("ix_agent_writes_record", "agent_writes", ["entity", "record_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_agent_writes_record", table_name="agent_writes")
    op.drop_table("agent_writes")
