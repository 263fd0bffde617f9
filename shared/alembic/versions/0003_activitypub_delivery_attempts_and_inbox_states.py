"""ActivityPub delivery: one row per delivery attempt, and each remote inbox's health.

ap_delivery_attempts records every POST of a delivery (status code, error,
duration); ap_inbox_states counts an inbox's consecutive failures and pauses
it after too many.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 07:10:08.306482
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ap_inbox_states",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("inbox_url", sa.String(length=2048), nullable=False),
        sa.Column("consecutive_failures", sa.Integer(), server_default="0", nullable=False),
        sa.Column("paused_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_status_code", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_success_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ap_inbox_states")),
        sa.UniqueConstraint("inbox_url", name=op.f("uq_ap_inbox_states_inbox_url")),
    )
    op.create_table(
        "ap_delivery_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("delivery_id", sa.Integer(), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("duration_ms", sa.Integer(), server_default="0", nullable=False),
        sa.Column(
            "attempted_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["delivery_id"],
            ["ap_deliveries.id"],
            name=op.f("fk_ap_delivery_attempts_delivery_id_ap_deliveries"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ap_delivery_attempts")),
    )
    op.create_index(
        op.f("ix_ap_delivery_attempts_delivery_id"),
        "ap_delivery_attempts",
        ["delivery_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_ap_delivery_attempts_delivery_id"), table_name="ap_delivery_attempts")
    op.drop_table("ap_delivery_attempts")
    op.drop_table("ap_inbox_states")
