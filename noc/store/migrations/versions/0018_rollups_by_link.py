"""Each link's 5-minute rollups in time order, with their rates: a month's report reads its
links one by one from this index alone (sums by the store, percentiles from the top buckets).

Revision ID: 0018
"""

from __future__ import annotations

from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_rollups_kind_name_time",
        "rollups",
        ["kind", "name", "bucket_start", "in_avg_bps", "out_avg_bps"],
    )


def downgrade() -> None:
    op.drop_index("ix_rollups_kind_name_time", table_name="rollups")
