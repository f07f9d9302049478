"""The rollups of a period, read by the monthly report, from one index: by kind and time, with
the averages in it (the primary key goes by name first, so a month meant a lookup per row).

Revision ID: 0009
"""

from __future__ import annotations

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_rollups_kind_time",
        "rollups",
        ["kind", "bucket_start", "name", "in_avg_bps", "out_avg_bps"],
    )


def downgrade() -> None:
    op.drop_index("ix_rollups_kind_time", table_name="rollups")
