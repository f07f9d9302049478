"""Each link's closed days, made once from its 5-minute rollups (a year's report reads these).

Revision ID: 0017
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "daily_rollups",
        sa.Column("kind", sa.String(16), primary_key=True),
        sa.Column("name", sa.String(200), primary_key=True),
        sa.Column("day_start", sa.Float, primary_key=True),
        sa.Column("samples", sa.Integer, nullable=False),
        sa.Column("in_avg_bps", sa.Float, nullable=True),
        sa.Column("out_avg_bps", sa.Float, nullable=True),
        sa.Column("peak_bps", sa.Float, nullable=True),
        sa.Column("p95_in_bps", sa.Float, nullable=True),
        sa.Column("p95_out_bps", sa.Float, nullable=True),
        sa.Column("busy_buckets", sa.Integer, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("daily_rollups")
