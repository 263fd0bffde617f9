"""Events: calendars, events (one-off or recurring), ticket types, tickets, bookings."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shared.models.base import Base, Timestamped

CONTAINER_TYPES = ("post", "stall", "market_page")


class EventStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    CANCELLED = "cancelled"


EVENT_STATUSES = tuple(EventStatus)


class Calendar(Timestamped, Base):
    """A set of events, optionally attached to a container (a post, a stall, a market page)."""

    __tablename__ = "calendars"
    __table_args__ = (
        CheckConstraint(
            "container_type IS NULL OR container_type IN ('post', 'stall', 'market_page')",
            name="container_type",
        ),
        CheckConstraint(
            "(container_type IS NULL) = (container_id IS NULL)", name="container_complete"
        ),
        Index("ix_calendars_container", "container_type", "container_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
    time_zone: Mapped[str] = mapped_column(
        String(64), default="Europe/London", server_default="Europe/London"
    )
    container_type: Mapped[str | None] = mapped_column(String(20))
    container_id: Mapped[int | None] = mapped_column(Integer)
    owner_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )


class Event(Timestamped, Base):
    """An event; `rrule` (RFC 5545) makes it recurring from `starts_at` in `time_zone`."""

    __tablename__ = "events"
    __table_args__ = (
        UniqueConstraint("calendar_id", "slug"),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        CheckConstraint("capacity IS NULL OR capacity >= 0", name="capacity_not_negative"),
        CheckConstraint("status IN ('draft', 'published', 'cancelled')", name="status"),
        Index("ix_events_status_starts_at", "status", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    calendar_id: Mapped[int] = mapped_column(ForeignKey("calendars.id", ondelete="CASCADE"))
    slug: Mapped[str] = mapped_column(String(150))
    title: Mapped[str] = mapped_column(String(255))
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    time_zone: Mapped[str] = mapped_column(
        String(64), default="Europe/London", server_default="Europe/London"
    )
    rrule: Mapped[str | None] = mapped_column(Text)
    location: Mapped[str] = mapped_column(String(300), default="", server_default="")
    capacity: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(
        String(20), default=EventStatus.DRAFT, server_default="draft"
    )

    calendar: Mapped[Calendar] = relationship(lazy="joined")


class TicketType(Timestamped, Base):
    """A kind of ticket for an event; `quantity` None means limited only by capacity."""

    __tablename__ = "ticket_types"
    __table_args__ = (
        CheckConstraint("price_minor >= 0", name="price_not_negative"),
        CheckConstraint("quantity IS NULL OR quantity >= 0", name="quantity_not_negative"),
        CheckConstraint("currency ~ '^[A-Z]{3}$'", name="currency_code"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    price_minor: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3), default="GBP", server_default="GBP")
    quantity: Mapped[int | None] = mapped_column(Integer)
    sales_start_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    sales_end_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    event: Mapped[Event] = relationship(lazy="joined")


class Ticket(Timestamped, Base):
    """A seat, issued when its order is paid; `code` is what the door scans."""

    __tablename__ = "tickets"
    __table_args__ = (CheckConstraint("status IN ('valid', 'void', 'checked_in')", name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    ticket_type_id: Mapped[int] = mapped_column(
        ForeignKey("ticket_types.id", ondelete="RESTRICT"), index=True
    )
    order_line_id: Mapped[int | None] = mapped_column(
        ForeignKey("order_lines.id", ondelete="SET NULL"), index=True
    )
    holder_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    holder_name: Mapped[str] = mapped_column(String(200), default="", server_default="")
    occurrence_start: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(20), default="valid", server_default="valid")
    checked_in_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Booking(Timestamped, Base):
    """A free RSVP for one occurrence of an event."""

    __tablename__ = "bookings"
    __table_args__ = (
        UniqueConstraint("event_id", "user_id", "occurrence_start"),
        CheckConstraint("status IN ('confirmed', 'cancelled')", name="status"),
        CheckConstraint("seats > 0", name="seats_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    occurrence_start: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    seats: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    status: Mapped[str] = mapped_column(String(20), default="confirmed", server_default="confirmed")
