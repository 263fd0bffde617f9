"""The member's orders, tickets and bookings pages on account: read through the cart and
events services; someone else's order or booking is a 404 and stays as it was."""

from __future__ import annotations

import pytest
from quart import Quart
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.infrastructure.config import Settings
from shared.models.cart import Order
from shared.models.events import Booking
from tests.account.bp.test_preferences import csrf, member_in, signed_in
from tests.account.member_data import give_things
from tests.conftest import AppFactory


@pytest.fixture
async def account(make_app: AppFactory, mail_settings: Settings) -> Quart:
    return await make_app("account", app_settings=mail_settings, bind=False)


async def status_of(sessions: async_sessionmaker[AsyncSession], model: type, id_: int) -> str:
    async with sessions() as session:
        status: str = await session.scalar(select(model.status).where(model.id == id_))
        return status


async def test_the_member_sees_their_orders_pays_and_cancels_and_never_anothers(
    account: Quart, committed: async_sessionmaker[AsyncSession]
) -> None:
    ada = await member_in(committed, "ordering_ada")
    bo = await member_in(committed, "ordering_bo")
    mine = await give_things(committed, ada.id, "Ada's")
    theirs = await give_things(committed, bo.id, "Bo's")
    client = signed_in(account, ada)

    listing = await (await client.get("/orders/")).get_data(as_text=True)
    assert mine.pending_number in listing and "pending payment" in listing
    assert theirs.pending_number not in listing

    page = await client.get(f"/orders/{mine.pending_order_id}")
    html = await page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Ada&#39;s sourdough" in html and "£9.00" in html
    assert f"/orders/{mine.pending_number}?t=" in html and "Pay now" in html

    for other in (theirs.pending_order_id, theirs.paid_order_id, 999_999):
        assert (await client.get(f"/orders/{other}")).status_code == 404
    token = await csrf(client, f"/orders/{mine.pending_order_id}")
    refused = await client.post(
        f"/orders/{theirs.pending_order_id}/cancel", form={"csrf_token": token}
    )
    assert refused.status_code == 404
    assert await status_of(committed, Order, theirs.pending_order_id) == "pending_payment"
    forged = await client.post(f"/orders/{mine.pending_order_id}/cancel", form={})
    assert forged.status_code == 400
    assert await status_of(committed, Order, mine.pending_order_id) == "pending_payment"

    paid = await client.post(f"/orders/{mine.paid_order_id}/cancel", form={"csrf_token": token})
    assert paid.status_code == 409 and "cannot be cancelled" in await paid.get_data(as_text=True)
    assert await status_of(committed, Order, mine.paid_order_id) == "paid"
    done = await client.post(f"/orders/{mine.pending_order_id}/cancel", form={"csrf_token": token})
    assert done.status_code == 303
    assert await status_of(committed, Order, mine.pending_order_id) == "cancelled"
    after = await (await client.get(f"/orders/{mine.pending_order_id}")).get_data(as_text=True)
    assert "cancelled" in after and "Pay now" not in after


async def test_the_member_sees_their_tickets_and_cancels_their_own_booking_only(
    account: Quart, committed: async_sessionmaker[AsyncSession]
) -> None:
    ada = await member_in(committed, "booking_ada")
    bo = await member_in(committed, "booking_bo")
    mine = await give_things(committed, ada.id, "Ada's")
    theirs = await give_things(committed, bo.id, "Bo's")
    client = signed_in(account, ada)

    tickets = await (await client.get("/tickets/")).get_data(as_text=True)
    assert mine.ticket_code in tickets and theirs.ticket_code not in tickets
    bookings = await (await client.get("/bookings/")).get_data(as_text=True)
    assert "Ada&#39;s lantern walk" in bookings and "booked" in bookings
    assert "Bo&#39;s lantern walk" not in bookings

    token = await csrf(client, "/bookings/")
    refused = await client.post(f"/bookings/{theirs.booking_id}/cancel", form={"csrf_token": token})
    assert refused.status_code == 404
    assert await status_of(committed, Booking, theirs.booking_id) == "confirmed"
    done = await client.post(f"/bookings/{mine.booking_id}/cancel", form={"csrf_token": token})
    assert done.status_code == 303
    assert await status_of(committed, Booking, mine.booking_id) == "cancelled"
    after = await (await client.get("/bookings/?cancelled=1")).get_data(as_text=True)
    assert "Your booking is cancelled" in after and "Ada&#39;s lantern walk" not in after


async def test_the_pages_want_a_signed_in_member(account: Quart) -> None:
    client = account.test_client()
    for path in ("/orders/", "/orders/1", "/tickets/", "/bookings/"):
        assert (await client.get(path)).status_code == 302
