"""Events: calendars, events (one-off or recurring), ticket types, tickets, bookings."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

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
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shared.models.base import Base, Timestamped

CONTAINER_TYPES = ("post", "stall", "market_page")


class EventStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    CANCELLED = "cancelled"


EVENT_STATUSES = tuple(EventStatus)


class OverrideKind(StrEnum):
    """What became of one occurrence of a series (named by its RECURRENCE-ID)."""

    CANCELLED = "cancelled"
    MOVED = "moved"


class BookingStatus(StrEnum):
    PENDING = "pending"  # a guest's, until the emailed link is confirmed
    CONFIRMED = "confirmed"
    WAITING = "waiting"
    CANCELLED = "cancelled"


class TicketStatus(StrEnum):
    VALID = "valid"
    VOID = "void"
    CHECKED_IN = "checked_in"


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
    # A private calendar is seen by its owner only: no page, feed or widget.
    is_private: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")


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
    # All-day events start at local midnight of `starts_at`'s day in `time_zone`
    # and end at the midnight after their last day (exclusive, as DTEND;VALUE=DATE).
    all_day: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    map_url: Mapped[str] = mapped_column(String(500), default="", server_default="")
    online_url: Mapped[str] = mapped_column(String(500), default="", server_default="")
    image: Mapped[str | None] = mapped_column(String(200))  # a stored media name
    tags: Mapped[list[str]] = mapped_column(
        ARRAY(String(50)), default=list, server_default=text("'{}'::varchar[]")
    )
    # Set on the second half of a series split with "this and following".
    split_from_id: Mapped[int | None] = mapped_column(ForeignKey("events.id", ondelete="SET NULL"))

    calendar: Mapped[Calendar] = relationship(lazy="joined")
    overrides: Mapped[list[EventOverride]] = relationship(
        lazy="selectin", order_by="EventOverride.recurrence_id", cascade="all, delete-orphan"
    )


class EventOverride(Timestamped, Base):
    """One occurrence of a series cancelled or moved, named by its original start."""

    __tablename__ = "event_overrides"
    __table_args__ = (
        UniqueConstraint("event_id", "recurrence_id"),
        CheckConstraint("kind IN ('cancelled', 'moved')", name="kind"),
        CheckConstraint(
            "kind = 'cancelled' OR (starts_at IS NOT NULL AND ends_at > starts_at)",
            name="moved_has_times",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    recurrence_id: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    kind: Mapped[str] = mapped_column(String(20))
    starts_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


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
    __table_args__ = (
        CheckConstraint("status IN ('valid', 'void', 'checked_in')", name="status"),
        # Issuing is idempotent: seat n of an order line is one ticket, however
        # often OrderPaid is handled.
        UniqueConstraint("order_line_id", "seat"),
    )

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
    seat: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    holder_email: Mapped[str] = mapped_column(String(320), default="", server_default="")

    ticket_type: Mapped[TicketType] = relationship(lazy="joined")


class Booking(Timestamped, Base):
    """A free place at one occurrence of an event, for a member or a guest by email."""

    __tablename__ = "bookings"
    __table_args__ = (
        # One live booking per member (or guest email) per occurrence; a
        # cancelled one does not stop booking again.
        Index(
            "uq_bookings_member_occurrence",
            "event_id",
            "occurrence_start",
            "user_id",
            unique=True,
            postgresql_where=text("status <> 'cancelled' AND user_id IS NOT NULL"),
        ),
        Index(
            "uq_bookings_guest_occurrence",
            "event_id",
            "occurrence_start",
            "guest_email",
            unique=True,
            postgresql_where=text("status <> 'cancelled' AND user_id IS NULL"),
        ),
        Index("ix_bookings_occurrence", "event_id", "occurrence_start", "status"),
        CheckConstraint(
            "status IN ('pending', 'confirmed', 'waiting', 'cancelled')", name="status"
        ),
        CheckConstraint("seats > 0", name="seats_positive"),
        CheckConstraint("user_id IS NOT NULL OR guest_email <> ''", name="member_or_guest"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    guest_email: Mapped[str] = mapped_column(String(320), default="", server_default="")
    name: Mapped[str] = mapped_column(String(200), default="", server_default="")
    occurrence_start: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    seats: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    status: Mapped[str] = mapped_column(
        String(20), default=BookingStatus.CONFIRMED, server_default="confirmed"
    )
    # sha256 of the token in the booking's mails (confirm, cancel): the link is the key.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)

    event: Mapped[Event] = relationship(lazy="joined")


class FeedToken(Timestamped, Base):
    """A member's private feed (their bookings and tickets), by an unguessable token."""

    __tablename__ = "event_feed_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
