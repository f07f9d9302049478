"""The uplink's flows in 1-minute buckets per site, application and direction.

Revision ID: 0016
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "flow_minutes",
        sa.Column("minute", sa.BigInteger, primary_key=True),
        sa.Column("site", sa.String(64), primary_key=True),
        sa.Column("app", sa.String(32), primary_key=True),
        sa.Column("direction", sa.String(3), primary_key=True),
        sa.Column("octets", sa.BigInteger, nullable=False),
        sa.Column("packets", sa.BigInteger, nullable=False),
        sa.Column("flows", sa.BigInteger, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("flow_minutes")
