"""Each vantage point's last vote on each service (its checks' results as JSON).

Revision ID: 0015
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "service_votes",
        sa.Column("service", sa.String(64), primary_key=True),
        sa.Column("vantage", sa.String(64), primary_key=True),
        sa.Column("at", sa.Float, nullable=False),
        sa.Column("ok", sa.Boolean, nullable=False),
        sa.Column("abstain", sa.Boolean, nullable=False),
        sa.Column("external", sa.Boolean, nullable=False),
        sa.Column("reason", sa.Text, nullable=True),
        sa.Column("checks", sa.Text, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("service_votes")
