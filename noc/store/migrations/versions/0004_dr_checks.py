"""History of the DR readiness checks.

Revision ID: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dr_checks",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("at", sa.Float, nullable=False),
        sa.Column("readiness", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("results", sa.Text, nullable=False),
    )
    op.create_index("ix_dr_checks_at", "dr_checks", ["at"])


def downgrade() -> None:
    op.drop_index("ix_dr_checks_at", "dr_checks")
    op.drop_table("dr_checks")
