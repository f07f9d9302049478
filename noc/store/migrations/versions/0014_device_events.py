"""The event log: traps and syslog lines, matched to their device (or to none).

Revision ID: 0014
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "device_events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", sa.Float, nullable=False),
        sa.Column("device", sa.String(64), nullable=True),
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("meaning", sa.String(32), nullable=True),
        sa.Column("text", sa.Text, nullable=False),
    )
    op.create_index("ix_device_events_device_at", "device_events", ["device", "at"])
    op.create_index("ix_device_events_at", "device_events", ["at"])


def downgrade() -> None:
    op.drop_index("ix_device_events_at", table_name="device_events")
    op.drop_index("ix_device_events_device_at", table_name="device_events")
    op.drop_table("device_events")
