"""Every notification Alertmanager sent, as it posted it to the webhook.

Revision ID: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "alert_notifications",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("received", sa.Float, nullable=False),
        sa.Column("receiver", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("group_name", sa.String(200), nullable=False),
        sa.Column("firing", sa.Integer, nullable=False),
        sa.Column("resolved", sa.Integer, nullable=False),
        sa.Column("alerts", sa.Text, nullable=False),
    )
    op.create_index("ix_alert_notifications_received", "alert_notifications", ["received"])


def downgrade() -> None:
    op.drop_table("alert_notifications")
