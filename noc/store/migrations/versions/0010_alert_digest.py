"""A notification's digest (its group key, status and alerts): Alertmanager's retries of one
notification are stored once.

Revision ID: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("alert_notifications") as batch:
        batch.add_column(sa.Column("digest", sa.String(64), nullable=True))
        batch.create_index("ux_alert_notifications_digest", ["digest"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("alert_notifications") as batch:
        batch.drop_index("ux_alert_notifications_digest")
        batch.drop_column("digest")
