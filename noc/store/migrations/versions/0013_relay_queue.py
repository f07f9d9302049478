"""The gateway relay's queue: every notification for a WhatsApp-style gateway is kept until
the gateway has taken it (retried with backoff, through restarts).

Revision ID: 0013
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "relay_messages",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("receiver", sa.String(64), nullable=False),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("created", sa.Float, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("next_try", sa.Float, nullable=False),
        sa.Column("sent", sa.Float, nullable=True),
        sa.Column("last_error", sa.Text, nullable=False, server_default=""),
    )
    op.create_index("ix_relay_messages_waiting", "relay_messages", ["sent", "next_try"])


def downgrade() -> None:
    op.drop_index("ix_relay_messages_waiting", table_name="relay_messages")
    op.drop_table("relay_messages")
