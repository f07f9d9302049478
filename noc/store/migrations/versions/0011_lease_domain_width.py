"""A poll domain as wide as an entity: `site:` and a 64-character site name is 69 characters,
and a 64-character column refused it (every lease round failed, and the collector polled
nothing).

Revision ID: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("leases") as batch:
        batch.alter_column("domain", type_=sa.String(80), existing_type=sa.String(64))


def downgrade() -> None:
    with op.batch_alter_table("leases") as batch:
        batch.alter_column("domain", type_=sa.String(64), existing_type=sa.String(80))
