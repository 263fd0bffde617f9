"""Cart: checkout, orders with a state machine, stock holds, fulfilment, SumUp refunds.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 04:30:00
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_STATUSES = (
    "'pending_payment', 'paid', 'fulfilled', 'collected', 'cancelled', "
    "'partially_refunded', 'refunded'"
)


def _timestamps() -> list[sa.Column[Any]]:
    return [
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
    ]


def upgrade() -> None:
    op.add_column(
        "products",
        sa.Column("withdrawal_allowed", sa.Boolean, server_default="true", nullable=False),
    )

    op.drop_constraint(op.f("ck_orders_status"), "orders", type_="check")
    op.alter_column("orders", "status", server_default="pending_payment")
    op.execute("UPDATE orders SET status = 'pending_payment' WHERE status = 'pending'")
    op.create_check_constraint(op.f("ck_orders_status"), "orders", f"status IN ({_STATUSES})")
    op.add_column(
        "orders", sa.Column("contact_name", sa.String(200), server_default="", nullable=False)
    )
    op.add_column("orders", sa.Column("phone", sa.String(40), server_default="", nullable=False))
    op.add_column("orders", sa.Column("notes", sa.Text, server_default="", nullable=False))
    op.add_column(
        "orders", sa.Column("refunded_minor", sa.Integer, server_default="0", nullable=False)
    )
    op.add_column(
        "orders",
        sa.Column(
            "cart_id",
            sa.Integer,
            sa.ForeignKey("carts.id", ondelete="SET NULL", name=op.f("fk_orders_cart_id_carts")),
            nullable=True,
        ),
    )
    op.add_column("orders", sa.Column("access_token", sa.String(64), nullable=True))
    op.execute("UPDATE orders SET access_token = md5(random()::text || id::text)")
    op.alter_column("orders", "access_token", nullable=False)
    op.create_unique_constraint(op.f("uq_orders_access_token"), "orders", ["access_token"])
    op.add_column("orders", sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("orders", sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True))
    op.create_check_constraint(
        op.f("ck_orders_refunded_not_negative"), "orders", "refunded_minor >= 0"
    )
    op.create_check_constraint(
        op.f("ck_orders_refund_within_total"), "orders", "refunded_minor <= total_minor"
    )

    op.add_column(
        "order_lines",
        sa.Column(
            "stall_id",
            sa.Integer,
            sa.ForeignKey(
                "stalls.id", ondelete="SET NULL", name=op.f("fk_order_lines_stall_id_stalls")
            ),
            nullable=True,
        ),
    )
    op.create_index("ix_order_lines_stall_id", "order_lines", ["stall_id"])
    op.add_column(
        "order_lines",
        sa.Column("withdrawable", sa.Boolean, server_default="false", nullable=False),
    )
    op.add_column(
        "order_lines", sa.Column("refunded_minor", sa.Integer, server_default="0", nullable=False)
    )

    op.create_table(
        "order_fulfilments",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column(
            "order_id",
            sa.Integer,
            sa.ForeignKey(
                "orders.id", ondelete="CASCADE", name=op.f("fk_order_fulfilments_order_id_orders")
            ),
            nullable=False,
        ),
        sa.Column(
            "stall_id",
            sa.Integer,
            sa.ForeignKey(
                "stalls.id", ondelete="SET NULL", name=op.f("fk_order_fulfilments_stall_id_stalls")
            ),
            nullable=True,
        ),
        sa.Column("method", sa.String(10), nullable=False),
        sa.Column("address", sa.Text, server_default="", nullable=False),
        sa.Column("status", sa.String(12), server_default="to_prepare", nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "method IN ('pickup', 'delivery')", name=op.f("ck_order_fulfilments_method")
        ),
        sa.CheckConstraint(
            "status IN ('to_prepare', 'ready', 'fulfilled', 'collected')",
            name=op.f("ck_order_fulfilments_status"),
        ),
        sa.CheckConstraint(
            "method = 'pickup' OR address <> ''",
            name=op.f("ck_order_fulfilments_delivery_has_address"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_fulfilments")),
        sa.UniqueConstraint(
            "order_id", "stall_id", name=op.f("uq_order_fulfilments_order_id_stall_id")
        ),
    )
    op.create_index("ix_order_fulfilments_stall_id", "order_fulfilments", ["stall_id"])

    op.create_table(
        "stock_holds",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column(
            "order_id",
            sa.Integer,
            sa.ForeignKey(
                "orders.id", ondelete="CASCADE", name=op.f("fk_stock_holds_order_id_orders")
            ),
            nullable=False,
        ),
        sa.Column(
            "variant_id",
            sa.Integer,
            sa.ForeignKey(
                "product_variants.id",
                ondelete="CASCADE",
                name=op.f("fk_stock_holds_variant_id_product_variants"),
            ),
            nullable=False,
        ),
        sa.Column("quantity", sa.Integer, nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_stock_holds_quantity_positive")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stock_holds")),
    )
    op.create_index("ix_stock_holds_order_id", "stock_holds", ["order_id"])
    op.create_index("ix_stock_holds_expires_at", "stock_holds", ["expires_at"])
    op.create_index(
        "ix_stock_holds_variant_expires_at", "stock_holds", ["variant_id", "expires_at"]
    )

    op.create_check_constraint(
        op.f("ck_payments_status"), "payments", "status IN ('pending', 'paid', 'failed', 'expired')"
    )
    op.add_column("payments", sa.Column("hosted_checkout_url", sa.String(2048), nullable=True))
    op.add_column("payments", sa.Column("transaction_id", sa.String(100), nullable=True))
    op.add_column("payments", sa.Column("checked_at", sa.DateTime(timezone=True), nullable=True))

    op.create_table(
        "refunds",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column(
            "payment_id",
            sa.Integer,
            sa.ForeignKey(
                "payments.id", ondelete="CASCADE", name=op.f("fk_refunds_payment_id_payments")
            ),
            nullable=False,
        ),
        sa.Column(
            "order_line_id",
            sa.Integer,
            sa.ForeignKey(
                "order_lines.id",
                ondelete="SET NULL",
                name=op.f("fk_refunds_order_line_id_order_lines"),
            ),
            nullable=True,
        ),
        sa.Column("key", sa.String(100), nullable=False),
        sa.Column("amount_minor", sa.Integer, nullable=False),
        sa.Column("status", sa.String(10), server_default="requested", nullable=False),
        sa.Column("note", sa.Text, server_default="", nullable=False),
        sa.Column(
            "requested_by",
            sa.Integer,
            sa.ForeignKey(
                "users.id", ondelete="SET NULL", name=op.f("fk_refunds_requested_by_users")
            ),
            nullable=True,
        ),
        *_timestamps(),
        sa.CheckConstraint("amount_minor > 0", name=op.f("ck_refunds_amount_positive")),
        sa.CheckConstraint(
            "status IN ('requested', 'succeeded', 'failed')", name=op.f("ck_refunds_status")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refunds")),
        sa.UniqueConstraint("key", name=op.f("uq_refunds_key")),
    )
    op.create_index("ix_refunds_payment_id", "refunds", ["payment_id"])


def downgrade() -> None:
    op.drop_index("ix_refunds_payment_id", table_name="refunds")
    op.drop_table("refunds")
    op.drop_column("payments", "checked_at")
    op.drop_column("payments", "transaction_id")
    op.drop_column("payments", "hosted_checkout_url")
    op.drop_constraint(op.f("ck_payments_status"), "payments", type_="check")
    op.drop_index("ix_stock_holds_variant_expires_at", table_name="stock_holds")
    op.drop_index("ix_stock_holds_expires_at", table_name="stock_holds")
    op.drop_index("ix_stock_holds_order_id", table_name="stock_holds")
    op.drop_table("stock_holds")
    op.drop_index("ix_order_fulfilments_stall_id", table_name="order_fulfilments")
    op.drop_table("order_fulfilments")
    op.drop_column("order_lines", "refunded_minor")
    op.drop_column("order_lines", "withdrawable")
    op.drop_index("ix_order_lines_stall_id", table_name="order_lines")
    op.drop_column("order_lines", "stall_id")
    op.drop_constraint(op.f("ck_orders_refund_within_total"), "orders", type_="check")
    op.drop_constraint(op.f("ck_orders_refunded_not_negative"), "orders", type_="check")
    op.drop_column("orders", "withdrawn_at")
    op.drop_column("orders", "cancelled_at")
    op.drop_constraint(op.f("uq_orders_access_token"), "orders", type_="unique")
    op.drop_column("orders", "access_token")
    op.drop_column("orders", "cart_id")
    op.drop_column("orders", "refunded_minor")
    op.drop_column("orders", "notes")
    op.drop_column("orders", "phone")
    op.drop_column("orders", "contact_name")
    op.drop_constraint(op.f("ck_orders_status"), "orders", type_="check")
    op.execute(
        "UPDATE orders SET status = CASE status WHEN 'pending_payment' THEN 'pending' "
        "WHEN 'collected' THEN 'fulfilled' WHEN 'partially_refunded' THEN 'paid' "
        "ELSE status END"
    )
    op.alter_column("orders", "status", server_default="pending")
    op.create_check_constraint(
        op.f("ck_orders_status"),
        "orders",
        "status IN ('pending', 'paid', 'fulfilled', 'cancelled', 'refunded')",
    )
    op.drop_column("products", "withdrawal_allowed")
