"""POST /lines with tickets, as the event page's form sends it: outside the sales window
or beyond the seats left, a 409 page that says why, and nothing put in the cart."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.models.cart import CartLine
from shared.models.events import TicketType
from tests.conftest import AppFactory
from tests.support.factories import add, make_calendar, make_event, now

EVENTS = "http://events.localhost:8004"
FROM_EVENTS = {"Origin": EVENTS, "Sec-Fetch-Site": "same-site"}


async def _kind(db: AsyncSession, **fields: object) -> TicketType:
    event = await make_event(db, await make_calendar(db), "Ceilidh", now() + timedelta(days=5))
    kind = TicketType(event_id=event.id, name="Dancer", price_minor=800, currency="GBP")
    for name, value in fields.items():
        setattr(kind, name, value)
    await add(db, kind)
    return kind


async def _post(make_app: AppFactory, kind: TicketType, quantity: str) -> tuple[int, str]:
    app = await make_app("cart")
    response = await app.test_client().post(
        "/lines",
        form={"ticket_type_id": str(kind.id), "quantity": quantity, "next": EVENTS + "/"},
        headers=FROM_EVENTS,
    )
    return response.status_code, await response.get_data(as_text=True)


async def _lines(db: AsyncSession, kind: TicketType) -> int:
    query = select(func.count()).select_from(CartLine).where(CartLine.ticket_type_id == kind.id)
    return await db.scalar(query) or 0


async def test_tickets_before_their_sales_open_are_refused_with_the_date(
    make_app: AppFactory, db: AsyncSession
) -> None:
    kind = await _kind(db, sales_start_at=now() + timedelta(days=1))
    status, body = await _post(make_app, kind, "1")
    assert status == 409 and "Tickets for Ceilidh: Dancer go on sale on " in body
    assert await _lines(db, kind) == 0


async def test_tickets_after_their_sales_closed_are_refused(
    make_app: AppFactory, db: AsyncSession
) -> None:
    kind = await _kind(db, sales_end_at=now() - timedelta(minutes=5))
    status, body = await _post(make_app, kind, "1")
    assert status == 409 and "Ticket sales for Ceilidh: Dancer have closed." in body
    assert await _lines(db, kind) == 0


async def test_more_seats_than_are_left_are_refused_and_a_bad_quantity_is_a_400(
    make_app: AppFactory, db: AsyncSession
) -> None:
    kind = await _kind(db, quantity=2)
    status, body = await _post(make_app, kind, "3")
    assert status == 409 and "Only 2 tickets left for Ceilidh: Dancer." in body
    status, body = await _post(make_app, kind, "0")
    assert status == 400 and "Choose a quantity from 1 to 99." in body
    assert await _lines(db, kind) == 0
    status, _ = await _post(make_app, kind, "2")
    assert status == 303 and await _lines(db, kind) == 1
