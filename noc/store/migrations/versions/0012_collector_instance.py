"""A collector's name belongs to one running instance: its id, host and process, so a second
collector started under a name already in use is refused, and a restart after a crash is not.

Revision ID: 0012
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("collectors") as batch:
        batch.add_column(sa.Column("instance", sa.String(36), nullable=True))
        batch.add_column(sa.Column("host", sa.String(255), nullable=False, server_default=""))
        batch.add_column(sa.Column("pid", sa.Integer, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("collectors") as batch:
        batch.drop_column("pid")
        batch.drop_column("host")
        batch.drop_column("instance")
