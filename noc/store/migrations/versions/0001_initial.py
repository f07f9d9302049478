"""Initial schema: inventory mirror, state changes, incidents, rollups, poll statistics.

Revision ID: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "devices",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("site", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("tier", sa.String(16), nullable=False),
        sa.Column("address", sa.String(64), nullable=False),
        sa.Column("parent", sa.String(64), nullable=True),
    )
    op.create_table(
        "interfaces",
        sa.Column("device", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(128), primary_key=True),
        sa.Column("speed_bps", sa.BigInteger, nullable=False),
        sa.Column("description", sa.Text, nullable=False),
    )
    op.create_table(
        "links",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("medium", sa.String(16), nullable=False),
        sa.Column("tier", sa.String(16), nullable=False),
        sa.Column("a_device", sa.String(64), nullable=False),
        sa.Column("a_interface", sa.String(128), nullable=False),
        sa.Column("b_device", sa.String(64), nullable=True),
        sa.Column("b_interface", sa.String(128), nullable=True),
        sa.Column("capacity_bps", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "state_changes",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("entity", sa.String(80), nullable=False),
        sa.Column("at", sa.Float, nullable=False),
        sa.Column("old", sa.String(16), nullable=False),
        sa.Column("new", sa.String(16), nullable=False),
        sa.Column("root_cause", sa.String(80), nullable=True),
        sa.Column("reason", sa.Text, nullable=True),
    )
    op.create_index("ix_state_changes_entity_at", "state_changes", ["entity", "at"])
    op.create_table(
        "incidents",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("entity", sa.String(80), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("root_cause", sa.String(80), nullable=False),
        sa.Column("reason", sa.Text, nullable=True),
        sa.Column("started", sa.Float, nullable=False),
        sa.Column("ended", sa.Float, nullable=True),
        sa.Column("affected", sa.Text, nullable=False),
        sa.Column("flaps", sa.Integer, nullable=False),
    )
    op.create_index("ix_incidents_started", "incidents", ["started"])
    op.create_table(
        "rollups",
        sa.Column("kind", sa.String(16), primary_key=True),
        sa.Column("name", sa.String(200), primary_key=True),
        sa.Column("bucket_start", sa.Float, primary_key=True),
        sa.Column("in_avg_bps", sa.Float, nullable=False),
        sa.Column("in_max_bps", sa.Float, nullable=False),
        sa.Column("out_avg_bps", sa.Float, nullable=False),
        sa.Column("out_max_bps", sa.Float, nullable=False),
        sa.Column("samples", sa.Integer, nullable=False),
    )
    op.create_table(
        "poll_stats",
        sa.Column("device", sa.String(64), primary_key=True),
        sa.Column("at", sa.Float, nullable=False),
        sa.Column("duration_s", sa.Float, nullable=False),
        sa.Column("ok", sa.Boolean, nullable=False),
        sa.Column("reason", sa.Text, nullable=True),
        sa.Column("requests", sa.Integer, nullable=False),
        sa.Column("timeouts", sa.Integer, nullable=False),
        sa.Column("varbinds", sa.Integer, nullable=False),
        sa.Column("last_success", sa.Float, nullable=True),
        sa.Column("polls_total", sa.BigInteger, nullable=False),
        sa.Column("failures_total", sa.BigInteger, nullable=False),
    )


def downgrade() -> None:
    for table in (
        "poll_stats",
        "rollups",
        "incidents",
        "state_changes",
        "links",
        "interfaces",
        "devices",
    ):
        op.drop_table(table)
