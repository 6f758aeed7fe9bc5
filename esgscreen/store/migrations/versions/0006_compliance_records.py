"""screening log and dispositions

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 16:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "screenings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("endpoint", sa.String(length=20), nullable=False),
        sa.Column("caller", sa.String(length=200), nullable=False),
        sa.Column("caller_identity", sa.String(length=200), nullable=False),
        sa.Column("remote_addr", sa.String(length=64), nullable=True),
        sa.Column("query", sa.JSON(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("rating", sa.String(length=10), nullable=True),
        sa.Column("action", sa.String(length=10), nullable=True),
        sa.Column("entity_id", sa.String(length=120), nullable=True),
        sa.Column("watchlist_version", sa.Integer(), nullable=False),
        sa.Column("policy", sa.String(length=60), nullable=False),
        sa.Column("items", sa.Integer(), nullable=True),
        sa.Column("counts", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("screenings") as batch:
        batch.create_index("ix_screenings_at", ["at"])
        batch.create_index("ix_screenings_entity", ["entity_id"])
        batch.create_index("ix_screenings_caller", ["caller_identity", "at"])
    op.create_table(
        "screening_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("screening_id", sa.Integer(), nullable=False),
        sa.Column("ref", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("rating", sa.String(length=10), nullable=True),
        sa.Column("action", sa.String(length=10), nullable=True),
        sa.Column("entity_id", sa.String(length=120), nullable=True),
        sa.ForeignKeyConstraint(["screening_id"], ["screenings.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("screening_items") as batch:
        batch.create_index("ix_screening_items_screening_id", ["screening_id"])
        batch.create_index("ix_screening_items_entity_id", ["entity_id"])
    op.create_table(
        "dispositions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entity_id", sa.String(length=120), nullable=False),
        sa.Column("decision", sa.String(length=20), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("query_key", sa.String(length=1000), nullable=True),
        sa.Column("query", sa.JSON(), nullable=True),
        sa.Column("ref", sa.String(length=200), nullable=True),
        sa.Column("fingerprint", sa.JSON(), nullable=False),
        sa.Column("watchlist_version", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_identity", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_by", sa.String(length=200), nullable=True),
        sa.Column("revoke_reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("dispositions") as batch:
        batch.create_index("ix_dispositions_query", ["query_key", "entity_id"])
        batch.create_index("ix_dispositions_entity_id", ["entity_id"])


def downgrade() -> None:
    op.drop_table("dispositions")
    op.drop_table("screening_items")
    op.drop_table("screenings")
