"""Tickets: ticket types on sale in their window, one ticket per seat when an order is paid
(the `OrderPaid` handler, inside the payment's transaction), the ticket's QR code, and
the organiser's check-in (valid, already used, or not for this event)."""

from __future__ import annotations

import io
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

import segno
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts.calendars import TicketRecord, TicketSeats
from shared.contracts.events import EventContext, MemberOrdersChanged, OrderPaid, record
from shared.contracts.money import Money
from shared.infrastructure.jobs import enqueue
from shared.models.cart import Order, OrderLine
from shared.models.events import Event, EventStatus, Ticket, TicketStatus, TicketType
from shared.services.events.mail import TICKETS_MAIL_KIND

# 20 characters of an alphabet without look-alikes (no 0/O, 1/I/L): ~100 bits,
# short enough to read out or type at the door.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 20


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(text: str) -> str:
    return "".join(ch for ch in text.upper() if ch.isalnum())[:64]


class SalesState(StrEnum):
    NOT_YET = "not_yet"
    ON_SALE = "on_sale"
    SOLD_OUT = "sold_out"  # on a page only: every seat issued or held at checkout
    CLOSED = "closed"


@dataclass(frozen=True, slots=True)
class TicketTypeRecord:
    id: int
    name: str
    price_minor: int
    currency: str
    quantity: int | None
    sold: int
    sales_start_at: datetime | None
    sales_end_at: datetime | None
    state: SalesState

    @property
    def price(self) -> Money:
        return Money(self.price_minor, self.currency)

    @property
    def left(self) -> int | None:
        return None if self.quantity is None else max(self.quantity - self.sold, 0)


def sales_state(ticket_type: TicketType, now: datetime) -> SalesState:
    if ticket_type.sales_start_at is not None and now < ticket_type.sales_start_at:
        return SalesState.NOT_YET
    if ticket_type.sales_end_at is not None and now >= ticket_type.sales_end_at:
        return SalesState.CLOSED
    if ticket_type.event.ends_at <= now and not ticket_type.event.rrule:
        return SalesState.CLOSED
    return SalesState.ON_SALE


async def list_ticket_types(
    session: AsyncSession, event_id: int, now: datetime | None = None
) -> list[TicketTypeRecord]:
    """The event's ticket types as its page shows them; `sold` counts the tickets issued
    and the seats the cart holds for orders awaiting payment."""
    from shared.services.registry import services  # the registry imports this package

    now = now or datetime.now(UTC)
    types = list(
        await session.scalars(
            select(TicketType).where(TicketType.event_id == event_id).order_by(TicketType.id)
        )
    )
    issued = await _issued(session, [t.id for t in types])
    held = await services.cart.count_held_seats(session, [t.id for t in types]) if types else {}
    records = []
    for ticket_type in types:
        sold = issued.get(ticket_type.id, 0) + held.get(ticket_type.id, 0)
        state = sales_state(ticket_type, now)
        if state == SalesState.ON_SALE and ticket_type.quantity is not None:
            state = SalesState.ON_SALE if sold < ticket_type.quantity else SalesState.SOLD_OUT
        records.append(
            TicketTypeRecord(
                id=ticket_type.id,
                name=ticket_type.name,
                price_minor=ticket_type.price_minor,
                currency=ticket_type.currency,
                quantity=ticket_type.quantity,
                sold=sold,
                sales_start_at=ticket_type.sales_start_at,
                sales_end_at=ticket_type.sales_end_at,
                state=state,
            )
        )
    return records


def _local(moment: datetime, time_zone: str) -> str:
    local = moment.astimezone(ZoneInfo(time_zone))
    return f"{local:%-d %B %Y, %H:%M} ({local.tzname()})"


def _seats_of(ticket_type: TicketType, issued: int, now: datetime) -> TicketSeats:
    event = ticket_type.event
    title = f"{event.title}: {ticket_type.name}"
    state = sales_state(ticket_type, now)
    reason = ""
    if event.status != EventStatus.PUBLISHED:
        state, reason = SalesState.CLOSED, f"{title} is not on sale."
    elif state == SalesState.NOT_YET:
        assert ticket_type.sales_start_at is not None
        when = _local(ticket_type.sales_start_at, event.time_zone)
        reason = f"Tickets for {title} go on sale on {when}."
    elif state == SalesState.CLOSED:
        reason = f"Ticket sales for {title} have closed."
    return TicketSeats(
        ticket_type_id=ticket_type.id,
        title=title,
        price_minor=ticket_type.price_minor,
        currency=ticket_type.currency,
        state=state,
        published=event.status == EventStatus.PUBLISHED,
        reason=reason,
        quantity=ticket_type.quantity,
        issued=issued,
    )


async def ticket_seats(
    session: AsyncSession, ticket_type_ids: Iterable[int], *, now: datetime, lock: bool = False
) -> dict[int, TicketSeats]:
    """The cart's view of ticket types: sales state and seats issued (see TicketSeats)."""
    ids = sorted(set(ticket_type_ids))
    if not ids:
        return {}
    query = select(TicketType).where(TicketType.id.in_(ids)).order_by(TicketType.id)
    if lock:
        # In id order, so two checkouts of the same types never deadlock.
        query = query.with_for_update(of=TicketType)
    types = list(await session.scalars(query))
    issued = await _issued(session, ids)
    return {t.id: _seats_of(t, issued.get(t.id, 0), now) for t in types}


async def _issued(session: AsyncSession, ticket_type_ids: list[int]) -> dict[int, int]:
    """Tickets issued and not void, per ticket type (types with none left out)."""
    if not ticket_type_ids:
        return {}
    rows = await session.execute(
        select(Ticket.ticket_type_id, func.count())
        .where(Ticket.ticket_type_id.in_(ticket_type_ids), Ticket.status != TicketStatus.VOID)
        .group_by(Ticket.ticket_type_id)
    )
    return {tt: int(count) for tt, count in rows}


async def issue_tickets(session: AsyncSession, order_id: int) -> list[Ticket]:
    """One ticket per seat of each ticket line of the paid order; none twice (seat n of a
    line is unique), so handling OrderPaid again issues nothing new."""
    order = await session.get(Order, order_id)
    if order is None:
        return []
    lines = await session.scalars(
        select(OrderLine).where(
            OrderLine.order_id == order_id, OrderLine.ticket_type_id.is_not(None)
        )
    )
    issued: list[Ticket] = []
    for line in lines:
        ticket_type = await session.get(TicketType, line.ticket_type_id)
        if ticket_type is None:
            continue
        have = set(
            await session.scalars(select(Ticket.seat).where(Ticket.order_line_id == line.id))
        )
        for seat in range(1, line.quantity + 1):
            if seat in have:
                continue
            ticket = Ticket(
                code=new_code(),
                ticket_type_id=ticket_type.id,
                order_line_id=line.id,
                seat=seat,
                holder_id=order.user_id,
                holder_email=order.email,
                occurrence_start=ticket_type.event.starts_at,
            )
            session.add(ticket)
            issued.append(ticket)
    await session.flush()
    if issued:
        # The mail is written by the job, which knows the events app's public address.
        await enqueue(
            session,
            TICKETS_MAIL_KIND,
            {"to": order.email, "order": order.number, "codes": [t.code for t in issued]},
            key=f"tickets:{order.id}:{issued[0].code}",
        )
    return issued


async def issue_tickets_on_paid(event: OrderPaid, ctx: EventContext) -> None:
    """Inside the payment's unit of work: the tickets commit with the order's payment."""
    await issue_tickets(ctx.session, event.order_id)


def record_of(ticket: Ticket) -> TicketRecord:
    event: Event = ticket.ticket_type.event
    return TicketRecord(
        id=ticket.id,
        code=ticket.code,
        status=ticket.status,
        event_id=event.id,
        event_title=event.title,
        calendar_slug=event.calendar.slug,
        event_slug=event.slug,
        ticket_type_name=ticket.ticket_type.name,
        occurrence_start=ticket.occurrence_start,
        occurrence_end=ticket.occurrence_start + (event.ends_at - event.starts_at),
        time_zone=event.time_zone,
        holder_name=ticket.holder_name,
        holder_email=ticket.holder_email,
        holder_id=ticket.holder_id,
        checked_in_at=ticket.checked_in_at,
    )


async def get_ticket(session: AsyncSession, code: str) -> TicketRecord | None:
    ticket = await session.scalar(select(Ticket).where(Ticket.code == normalise_code(code)))
    return record_of(ticket) if ticket is not None else None


async def list_member_tickets(session: AsyncSession, user_id: int) -> list[TicketRecord]:
    tickets = await session.scalars(
        select(Ticket)
        .where(Ticket.holder_id == user_id)
        .order_by(Ticket.occurrence_start, Ticket.id)
    )
    return [record_of(t) for t in tickets]


def qr_svg(text: str) -> str:
    """The QR code of `text` as inline SVG (no script, no external reference)."""
    out = io.BytesIO()
    segno.make(text, error="m").save(
        out, kind="svg", scale=6, xmldecl=False, svgns=True, title="Ticket QR code"
    )
    return out.getvalue().decode()


class CheckIn(StrEnum):
    VALID = "valid"
    ALREADY_USED = "already_used"
    OTHER_EVENT = "other_event"
    UNKNOWN = "unknown"
    VOID = "void"


async def check_in(
    session: AsyncSession, event_id: int, code: str, now: datetime
) -> tuple[CheckIn, TicketRecord | None]:
    """Check a code in at the door of `event_id`: the row is locked, so two scans of one
    ticket at once give one "valid" and one "already used"."""
    ticket = await session.scalar(
        select(Ticket).where(Ticket.code == normalise_code(code)).with_for_update(of=Ticket)
    )
    if ticket is None:
        return CheckIn.UNKNOWN, None
    if ticket.ticket_type.event_id != event_id:
        return CheckIn.OTHER_EVENT, None
    if ticket.status == TicketStatus.VOID:
        return CheckIn.VOID, record_of(ticket)
    if ticket.status == TicketStatus.CHECKED_IN:
        return CheckIn.ALREADY_USED, record_of(ticket)
    ticket.status = TicketStatus.CHECKED_IN
    ticket.checked_in_at = now
    if ticket.holder_id is not None:  # their dashboard card says "checked in" now
        record(session, MemberOrdersChanged(user_id=ticket.holder_id))
    await session.flush()
    return CheckIn.VALID, record_of(ticket)


_PRICE = re.compile(r"(\d{1,6})(?:\.(\d{2}))?")


def parse_price(text: str) -> int:
    """ "12.50" as 1250 minor units; ValueError naming the problem."""
    found = _PRICE.fullmatch(text.strip())
    if found is None:
        raise ValueError("The price must be an amount like 12 or 12.50.")
    return int(found[1]) * 100 + int(found[2] or 0)


async def add_ticket_type(
    session: AsyncSession,
    event: Event,
    *,
    name: str,
    price_minor: int,
    quantity: int | None,
    sales_start_at: datetime | None,
    sales_end_at: datetime | None,
) -> TicketType:
    """A kind of ticket on sale in its window (open-ended when a bound is None)."""
    name = name.strip()
    if not name or len(name) > 200:
        raise ValueError("A ticket type needs a name (at most 200 characters).")
    if sales_start_at and sales_end_at and sales_end_at <= sales_start_at:
        raise ValueError("Sales must end after they start.")
    ticket_type = TicketType(
        event_id=event.id,
        name=name,
        price_minor=price_minor,
        currency="GBP",
        quantity=quantity,
        sales_start_at=sales_start_at,
        sales_end_at=sales_end_at,
    )
    session.add(ticket_type)
    await session.flush()
    return ticket_type
