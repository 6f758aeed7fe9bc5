"""dispositions on a client ref within a watch

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 17:25:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("dispositions") as batch:
        batch.add_column(sa.Column("watch_id", sa.Integer(), nullable=True))
        batch.create_index("ix_dispositions_watch", ["watch_id", "ref"])


def downgrade() -> None:
    with op.batch_alter_table("dispositions") as batch:
        batch.drop_index("ix_dispositions_watch")
        batch.drop_column("watch_id")
