"""A fleet of collectors: who is alive, and which collector owns each poll domain.

Revision ID: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "collectors",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("site", sa.String(64), nullable=False),
        sa.Column("url", sa.String(200), nullable=False, server_default=""),
        sa.Column("started", sa.Float, nullable=False),
        sa.Column("heartbeat", sa.Float, nullable=False),
        sa.Column("sees_primary", sa.Boolean, nullable=True),
        sa.Column("viewed", sa.Float, nullable=False, server_default="0"),
        sa.Column("stopped", sa.Float, nullable=True),
    )
    op.create_table(
        "leases",
        sa.Column("domain", sa.String(64), primary_key=True),
        sa.Column("owner", sa.String(64), nullable=True),
        sa.Column("epoch", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("acquired", sa.Float, nullable=False, server_default="0"),
        sa.Column("renewed", sa.Float, nullable=False, server_default="0"),
        sa.Column("expires", sa.Float, nullable=False, server_default="0"),
        sa.Column("released", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("previous_owner", sa.String(64), nullable=True),
        sa.Column("snapshot", sa.Text, nullable=False, server_default="{}"),
    )
    op.add_column("poll_stats", sa.Column("collector", sa.String(64), nullable=True))


def downgrade() -> None:
    op.drop_column("poll_stats", "collector")
    op.drop_table("leases")
    op.drop_table("collectors")
