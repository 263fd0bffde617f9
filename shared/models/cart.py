"""Cart: carts and their lines, orders with their lines, SumUp payments."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shared.models.base import Base, Timestamped


class OrderStatus(StrEnum):
    PENDING = "pending"
    PAID = "paid"
    FULFILLED = "fulfilled"
    CANCELLED = "cancelled"
    REFUNDED = "refunded"


ORDER_STATUSES = tuple(OrderStatus)


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
    title: Mapped[str] = mapped_column(String(255))
    variant_name: Mapped[str] = mapped_column(String(100), default="", server_default="")
    unit_price_minor: Mapped[int] = mapped_column(Integer)
    quantity: Mapped[int] = mapped_column(Integer)


class Order(Timestamped, Base):
    """pending → paid → fulfilled, or cancelled / refunded."""

    __tablename__ = "orders"
    __table_args__ = (
        CheckConstraint(
            "status IN ('pending', 'paid', 'fulfilled', 'cancelled', 'refunded')", name="status"
        ),
        CheckConstraint("total_minor >= 0", name="total_not_negative"),
        CheckConstraint("currency ~ '^[A-Z]{3}$'", name="currency_code"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    email: Mapped[str] = mapped_column(String(320))
    status: Mapped[str] = mapped_column(String(20), default="pending", server_default="pending")
    currency: Mapped[str] = mapped_column(String(3))
    total_minor: Mapped[int] = mapped_column(Integer)
    paid_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    lines: Mapped[list[OrderLine]] = relationship(
        order_by=OrderLine.id, lazy="selectin", cascade="all, delete-orphan"
    )


class Payment(Timestamped, Base):
    """One SumUp checkout for an order."""

    __tablename__ = "payments"
    __table_args__ = (CheckConstraint("amount_minor >= 0", name="amount_not_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    provider: Mapped[str] = mapped_column(String(20), default="sumup", server_default="sumup")
    checkout_id: Mapped[str | None] = mapped_column(String(100), unique=True)
    reference: Mapped[str] = mapped_column(String(100), unique=True)
    amount_minor: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(20), default="pending", server_default="pending")


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
