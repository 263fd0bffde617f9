"""What the cart and events domains tell account about one member's own things.

Account shows these on the member's pages and exports them; it never reads the
cart's or events' tables itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from shared.contracts.money import Money


@dataclass(frozen=True, slots=True)
class MemberOrderLine:
    title: str
    quantity: int
    line_total: Money


@dataclass(frozen=True, slots=True)
class MemberOrder:
    """One of the member's orders; `pay_url` is the cart's order page (review and Pay)."""

    id: int
    number: str
    status: str
    total: Money
    created_at: datetime
    lines: tuple[MemberOrderLine, ...]
    pay_url: str
    can_pay: bool
    can_cancel: bool


@dataclass(frozen=True, slots=True)
class MemberBooking:
    """One of the member's live free bookings (RSVPs)."""

    id: int
    event_title: str
    event_path: str  # on the events app
    occurrence_start: datetime
    time_zone: str
    seats: int
    status: str  # confirmed, waiting, pending
