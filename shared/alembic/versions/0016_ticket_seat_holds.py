"""Tickets: a checkout holds ticket seats as it holds stock (a stock hold names a variant
or a ticket type), so seats sold are tickets issued plus live holds.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02 05:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.alter_column("stock_holds", "variant_id", existing_type=sa.Integer, nullable=True)
    op.add_column(
        "stock_holds",
        sa.Column(
            "ticket_type_id",
            sa.Integer,
            sa.ForeignKey(
                "ticket_types.id",
                ondelete="CASCADE",
                name=op.f("fk_stock_holds_ticket_type_id_ticket_types"),
            ),
            nullable=True,
        ),
    )
    op.create_check_constraint(
        op.f("ck_stock_holds_one_kind_of_item"),
        "stock_holds",
        "(variant_id IS NULL) <> (ticket_type_id IS NULL)",
    )
    op.create_index(
        "ix_stock_holds_ticket_type_expires_at", "stock_holds", ["ticket_type_id", "expires_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_stock_holds_ticket_type_expires_at", table_name="stock_holds")
    op.execute("DELETE FROM stock_holds WHERE ticket_type_id IS NOT NULL")
    op.drop_constraint(op.f("ck_stock_holds_one_kind_of_item"), "stock_holds", type_="check")
    op.drop_column("stock_holds", "ticket_type_id")
    op.alter_column("stock_holds", "variant_id", existing_type=sa.Integer, nullable=False)
