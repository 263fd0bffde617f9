"""Cart: carts and their lines, orders with their lines, SumUp payments."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shared.models.base import Base, Timestamped


class OrderStatus(StrEnum):
    """pending payment → paid → fulfilled or collected; cancelled; (partially) refunded."""

    PENDING_PAYMENT = "pending_payment"
    PAID = "paid"
    FULFILLED = "fulfilled"
    COLLECTED = "collected"
    CANCELLED = "cancelled"
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"


ORDER_STATUSES = tuple(OrderStatus)
# The moves the state machine allows (shared.services.cart.orders checks them).
ORDER_TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    OrderStatus.PENDING_PAYMENT: frozenset({OrderStatus.PAID, OrderStatus.CANCELLED}),
    OrderStatus.PAID: frozenset(
        {
            OrderStatus.FULFILLED,
            OrderStatus.COLLECTED,
            OrderStatus.PARTIALLY_REFUNDED,
            OrderStatus.REFUNDED,
        }
    ),
    OrderStatus.FULFILLED: frozenset({OrderStatus.PARTIALLY_REFUNDED, OrderStatus.REFUNDED}),
    OrderStatus.COLLECTED: frozenset({OrderStatus.PARTIALLY_REFUNDED, OrderStatus.REFUNDED}),
    OrderStatus.PARTIALLY_REFUNDED: frozenset(
        {OrderStatus.PARTIALLY_REFUNDED, OrderStatus.REFUNDED}
    ),
    OrderStatus.REFUNDED: frozenset(),
    OrderStatus.CANCELLED: frozenset(),
}


class FulfilmentMethod(StrEnum):
    PICKUP = "pickup"
    DELIVERY = "delivery"


class FulfilmentStatus(StrEnum):
    TO_PREPARE = "to_prepare"
    READY = "ready"  # ready for pickup: the buyer is told
    FULFILLED = "fulfilled"  # delivered
    COLLECTED = "collected"  # picked up


class PaymentStatus(StrEnum):
    """Our copy of the SumUp checkout's status, as last refetched."""

    PENDING = "pending"
    PAID = "paid"
    FAILED = "failed"
    EXPIRED = "expired"


class RefundStatus(StrEnum):
    """Follows SumUp's transaction: requested, then succeeded or failed."""

    REQUESTED = "requested"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class CartLine(Timestamped, Base):
    """A product or a ticket type in a cart; the price is read live until checkout."""

    __tablename__ = "cart_lines"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint(
            "(product_id IS NULL) <> (ticket_type_id IS NULL)", name="one_kind_of_item"
        ),
        CheckConstraint("(product_id IS NULL) = (variant_id IS NULL)", name="variant_of_product"),
        Index(
            "uq_cart_lines_cart_variant",
            "cart_id",
            "variant_id",
            unique=True,
            postgresql_where="variant_id IS NOT NULL",
        ),
        Index(
            "uq_cart_lines_cart_ticket_type",
            "cart_id",
            "ticket_type_id",
            unique=True,
            postgresql_where="ticket_type_id IS NOT NULL",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cart_id: Mapped[int] = mapped_column(ForeignKey("carts.id", ondelete="CASCADE"))
    product_id: Mapped[int | None] = mapped_column(
        ForeignKey("products.id", ondelete="CASCADE"), index=True
    )
    # Which of the product's variants; a product line always names one.
    variant_id: Mapped[int | None] = mapped_column(
        ForeignKey("product_variants.id", ondelete="CASCADE"), index=True
    )
    ticket_type_id: Mapped[int | None] = mapped_column(
        ForeignKey("ticket_types.id", ondelete="CASCADE"), index=True
    )
    quantity: Mapped[int] = mapped_column(Integer)


class Cart(Timestamped, Base):
    """A member's cart, or an anonymous one keyed by a cookie token (merged at login)."""

    __tablename__ = "carts"
    __table_args__ = (
        CheckConstraint("user_id IS NOT NULL OR anon_token IS NOT NULL", name="has_owner"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), unique=True
    )
    anon_token: Mapped[str | None] = mapped_column(String(64), unique=True)

    lines: Mapped[list[CartLine]] = relationship(
        order_by=CartLine.id, lazy="selectin", cascade="all, delete-orphan"
    )


class OrderLine(Base):
    """What was bought, with the title and price copied at order time."""

    __tablename__ = "order_lines"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("unit_price_minor >= 0", name="price_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[int | None] = mapped_column(
        ForeignKey("products.id", ondelete="SET NULL"), index=True
    )
    variant_id: Mapped[int | None] = mapped_column(
        ForeignKey("product_variants.id", ondelete="SET NULL"), index=True
    )
    ticket_type_id: Mapped[int | None] = mapped_column(
        ForeignKey("ticket_types.id", ondelete="SET NULL"), index=True
    )
    stall_id: Mapped[int | None] = mapped_column(
        ForeignKey("stalls.id", ondelete="SET NULL"), index=True
    )
    title: Mapped[str] = mapped_column(String(255))
    variant_name: Mapped[str] = mapped_column(String(100), default="", server_default="")
    unit_price_minor: Mapped[int] = mapped_column(Integer)
    quantity: Mapped[int] = mapped_column(Integer)
    # Copied from the product at order time: may the buyer withdraw within 14 days?
    withdrawable: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    refunded_minor: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    @property
    def total_minor(self) -> int:
        return self.unit_price_minor * self.quantity


class Order(Timestamped, Base):
    """An order and its state (OrderStatus); `access_token` lets a guest open its page."""

    __tablename__ = "orders"
    __table_args__ = (
        CheckConstraint(
            "status IN ('pending_payment', 'paid', 'fulfilled', 'collected', 'cancelled', "
            "'partially_refunded', 'refunded')",
            name="status",
        ),
        CheckConstraint("total_minor >= 0", name="total_not_negative"),
        CheckConstraint("refunded_minor >= 0", name="refunded_not_negative"),
        CheckConstraint("refunded_minor <= total_minor", name="refund_within_total"),
        CheckConstraint("currency ~ '^[A-Z]{3}$'", name="currency_code"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    email: Mapped[str] = mapped_column(String(320))
    contact_name: Mapped[str] = mapped_column(String(200), default="", server_default="")
    phone: Mapped[str] = mapped_column(String(40), default="", server_default="")
    notes: Mapped[str] = mapped_column(Text, default="", server_default="")
    status: Mapped[str] = mapped_column(
        String(20), default=OrderStatus.PENDING_PAYMENT, server_default="pending_payment"
    )
    currency: Mapped[str] = mapped_column(String(3))
    total_minor: Mapped[int] = mapped_column(Integer)
    refunded_minor: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # The cart the order came from: emptied when the order is paid.
    cart_id: Mapped[int | None] = mapped_column(ForeignKey("carts.id", ondelete="SET NULL"))
    access_token: Mapped[str] = mapped_column(String(64), unique=True)
    paid_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    lines: Mapped[list[OrderLine]] = relationship(
        order_by=OrderLine.id, lazy="selectin", cascade="all, delete-orphan"
    )
    fulfilments: Mapped[list[OrderFulfilment]] = relationship(
        order_by="OrderFulfilment.id", lazy="selectin", cascade="all, delete-orphan"
    )


class OrderFulfilment(Base):
    """How one stall's part of an order reaches the buyer, and whether it has."""

    __tablename__ = "order_fulfilments"
    __table_args__ = (
        UniqueConstraint("order_id", "stall_id"),
        CheckConstraint("method IN ('pickup', 'delivery')", name="method"),
        CheckConstraint(
            "status IN ('to_prepare', 'ready', 'fulfilled', 'collected')", name="status"
        ),
        CheckConstraint("method = 'pickup' OR address <> ''", name="delivery_has_address"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    stall_id: Mapped[int | None] = mapped_column(
        ForeignKey("stalls.id", ondelete="SET NULL"), index=True
    )
    method: Mapped[str] = mapped_column(String(10))
    address: Mapped[str] = mapped_column(Text, default="", server_default="")
    status: Mapped[str] = mapped_column(
        String(12), default=FulfilmentStatus.TO_PREPARE, server_default="to_prepare"
    )
    done_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class StockHold(Base):
    """Units of a variant, or seats of a ticket type, kept for a pending order until
    `expires_at` (pretix's quotas)."""

    __tablename__ = "stock_holds"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint(
            "(variant_id IS NULL) <> (ticket_type_id IS NULL)", name="one_kind_of_item"
        ),
        Index("ix_stock_holds_variant_expires_at", "variant_id", "expires_at"),
        Index("ix_stock_holds_ticket_type_expires_at", "ticket_type_id", "expires_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    variant_id: Mapped[int | None] = mapped_column(
        ForeignKey("product_variants.id", ondelete="CASCADE")
    )
    ticket_type_id: Mapped[int | None] = mapped_column(
        ForeignKey("ticket_types.id", ondelete="CASCADE")
    )
    quantity: Mapped[int] = mapped_column(Integer)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class Payment(Timestamped, Base):
    """One SumUp checkout for an order; `reference` is its checkout_reference."""

    __tablename__ = "payments"
    __table_args__ = (
        CheckConstraint("amount_minor >= 0", name="amount_not_negative"),
        CheckConstraint("status IN ('pending', 'paid', 'failed', 'expired')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    provider: Mapped[str] = mapped_column(String(20), default="sumup", server_default="sumup")
    checkout_id: Mapped[str | None] = mapped_column(String(100), unique=True)
    reference: Mapped[str] = mapped_column(String(100), unique=True)
    amount_minor: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(20), default="pending", server_default="pending")
    hosted_checkout_url: Mapped[str | None] = mapped_column(String(2048))
    # The successful transaction's id: what refunds name.
    transaction_id: Mapped[str | None] = mapped_column(String(100))
    checked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Refund(Timestamped, Base):
    """A staff refund of a paid payment, whole or one line; `key` makes a retry the same one."""

    __tablename__ = "refunds"
    __table_args__ = (
        CheckConstraint("amount_minor > 0", name="amount_positive"),
        CheckConstraint("status IN ('requested', 'succeeded', 'failed')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    payment_id: Mapped[int] = mapped_column(
        ForeignKey("payments.id", ondelete="CASCADE"), index=True
    )
    order_line_id: Mapped[int | None] = mapped_column(
        ForeignKey("order_lines.id", ondelete="SET NULL")
    )
    key: Mapped[str] = mapped_column(String(100), unique=True)
    amount_minor: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(
        String(10), default=RefundStatus.REQUESTED, server_default="requested"
    )
    note: Mapped[str] = mapped_column(Text, default="", server_default="")
    requested_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class PaymentEvent(Base):
    """Raw provider payloads (webhooks, polls), kept for audit and replay."""

    __tablename__ = "payment_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    payment_id: Mapped[int] = mapped_column(
        ForeignKey("payments.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(50))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB)
    note: Mapped[str] = mapped_column(Text, default="", server_default="")
    received_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
