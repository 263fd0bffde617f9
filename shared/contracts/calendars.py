"""The events domain's values: occurrences, events as pages show them, bookings, tickets.

(`shared/contracts/events.py` is the platform's *domain events*; these are calendar
events, hence the module name.)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


class InvalidEvent(ValueError):
    """What a member typed cannot make an event; the message names the field and why."""


class BookingRefused(ValueError):
    """A booking that cannot be made (no such occurrence, over, already booked)."""


class AlreadyBooked(BookingRefused):
    """This member or email holds a live booking of the occurrence already."""


@dataclass(frozen=True, slots=True)
class OccurrenceRecord:
    """One occurrence of an event: a one-off event has one, a series one per RRULE date.

    `recurrence_id` is the occurrence's original start (UTC), its RECURRENCE-ID:
    it names the occurrence even after it was moved (`moved`) to `starts_at`.
    Times are aware, in the event's own zone.
    """

    event_id: int
    calendar_slug: str
    calendar_name: str
    slug: str
    title: str
    time_zone: str
    starts_at: datetime
    ends_at: datetime
    recurrence_id: datetime
    all_day: bool = False
    is_recurring: bool = False
    moved: bool = False
    location: str = ""
    online_url: str = ""
    tags: tuple[str, ...] = field(default_factory=tuple)

    @property
    def key(self) -> str:
        """The occurrence's name in URLs: its RECURRENCE-ID in UTC, basic format."""
        return occurrence_key(self.recurrence_id)


def occurrence_key(recurrence_id: datetime) -> str:
    return recurrence_id.strftime("%Y%m%dT%H%M%SZ")


@dataclass(frozen=True, slots=True)
class TicketRecord:
    id: int
    code: str
    status: str
    event_id: int
    event_title: str
    calendar_slug: str
    event_slug: str
    ticket_type_name: str
    occurrence_start: datetime
    occurrence_end: datetime
    time_zone: str
    holder_name: str
    holder_email: str
    holder_id: int | None
    checked_in_at: datetime | None


@dataclass(frozen=True, slots=True)
class TicketSeats:
    """A ticket type as the cart sees it: what it is, whether it is on sale now and how
    many seats are not yet issued as tickets (`unissued` None: not counted). The cart
    takes its own live holds off `unissued` to know what a buyer can still have."""

    ticket_type_id: int
    title: str  # "Event: Ticket type"
    price_minor: int
    currency: str
    state: str  # "not_yet", "on_sale", "closed"
    published: bool  # False: the event is a draft or cancelled, its tickets are off
    reason: str  # why it cannot be bought, for the buyer; "" when on sale
    quantity: int | None
    issued: int

    @property
    def unissued(self) -> int | None:
        return None if self.quantity is None else max(self.quantity - self.issued, 0)
