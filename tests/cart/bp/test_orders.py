"""Checkout and payment through the cart app's routes, against the SumUp stand-in."""

from __future__ import annotations

import re

import httpx
from quart.typing import TestClientProtocol as Client
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.dev.sumup import SumUpStandIn
from shared.infrastructure.config import Settings
from shared.models.cart import CartLine, Order, OrderFulfilment
from shared.models.jobs import Job
from shared.models.market import Product
from tests.conftest import AppFactory
from tests.support.cart_web import cart_app, csrf, viewer_of
from tests.support.factories import make_product, make_stall, make_user

FROM_MARKET = {"Origin": "http://market.localhost:8002", "Sec-Fetch-Site": "same-site"}


def hosted_url(html: str) -> str:
    found = re.search(r'href="([^"]+)" role="button" data-hosted-checkout', html)
    assert found, html
    return found.group(1)


async def guest_with_two_stalls(db: AsyncSession, client: Client) -> list[Product]:
    bakery = await make_stall(db, "Hill Bakery")
    potter = await make_stall(db, "Hartley Ceramics")
    bread = await make_product(db, bakery, "Sourdough", 450, stock=5)
    mug = await make_product(db, potter, "Mug", 1800, stock=1)
    for product in (bread, mug):
        added = await client.post(
            "/lines", form={"product_id": str(product.id), "quantity": "1"}, headers=FROM_MARKET
        )
        assert added.status_code == 303
    return [bread, mug]


async def check_out(client: Client, products: list[Product], **extra: str) -> str:
    bread, mug = products
    form = {
        "csrf_token": await csrf(client, "/checkout"),
        "email": "guest@example.test",
        "name": "Grace Hopper",
        f"method_{bread.stall_id}": "pickup",
        f"method_{mug.stall_id}": "delivery",
        f"address_{mug.stall_id}": "2 Mill Street, York",
        "notes": "Leave at the door",
        **extra,
    }
    return await client.post("/checkout", form=form)  # type: ignore[return-value]


async def test_a_guest_checks_out_pays_and_sees_the_order_paid(
    make_app: AppFactory,
    cart_settings: Settings,
    db: AsyncSession,
    sumup: SumUpStandIn,
) -> None:
    app, _ = await cart_app(make_app, cart_settings)
    client = app.test_client()
    products = await guest_with_two_stalls(db, client)

    placed = await check_out(client, products)
    assert placed.status_code == 303
    order_page = placed.headers["Location"]
    assert re.fullmatch(r"/orders/[A-Z0-9]{4}-[A-Z0-9]{4}\?t=[\w-]+", order_page)
    review = await (await client.get(order_page)).get_data(as_text=True)
    assert "Review your order" in review and "Pay £22.50" in review
    order = await db.scalar(select(Order))
    assert order is not None
    fulfilments = (await db.scalars(select(OrderFulfilment).order_by(OrderFulfilment.id))).all()
    assert [(f.method, f.address) for f in fulfilments] == [
        ("pickup", ""),
        ("delivery", "2 Mill Street, York"),
    ]

    token = await csrf(client, order_page)
    pay_form = {"csrf_token": token, "t": order.access_token, "amount_minor": "2250"}
    tampered = await client.post(
        f"/orders/{order.number}/pay", form={**pay_form, "amount_minor": "1"}
    )
    assert tampered.status_code == 400
    assert "amount does not match" in await tampered.get_data(as_text=True)
    assert sumup.checkouts == {} or all(
        c.reference != order.number for c in sumup.checkouts.values()
    )

    paying = await client.post(f"/orders/{order.number}/pay", form=pay_form)
    assert paying.status_code == 200
    hosted = hosted_url(await paying.get_data(as_text=True))
    assert hosted.startswith(sumup.url + "/pay/")
    async with httpx.AsyncClient() as browser:
        page = await browser.get(hosted)
        assert "£" not in page.text and "22.50 GBP" in page.text
        paid = await browser.post(hosted + "/pay")
    assert paid.status_code == 303
    back = paid.headers["Location"]
    assert back.endswith(f"/orders/{order.number}/return?t={order.access_token}")

    returned = await client.get(back.split("cart.localhost:8003", 1)[-1])
    assert returned.status_code == 303
    shown = await (await client.get(returned.headers["Location"])).get_data(as_text=True)
    assert "your payment is confirmed" in shown and "Delivery to 2 Mill Street, York" in shown
    assert (await db.scalars(select(CartLine))).all() == []


async def test_sumup_down_at_pay_shows_a_clear_error_and_keeps_the_cart(
    make_app: AppFactory, cart_settings: Settings, db: AsyncSession, sumup: SumUpStandIn
) -> None:
    app, _ = await cart_app(make_app, cart_settings)
    client = app.test_client()
    products = await guest_with_two_stalls(db, client)
    order_page = (await check_out(client, products)).headers["Location"]
    order = await db.scalar(select(Order))
    assert order is not None
    token = await csrf(client, order_page)
    sumup.down()
    response = await client.post(
        f"/orders/{order.number}/pay",
        form={"csrf_token": token, "t": order.access_token, "amount_minor": "2250"},
    )
    assert response.status_code == 503
    assert "Nothing was charged" in await response.get_data(as_text=True)
    cart = await (await client.get("/")).get_data(as_text=True)
    assert "Sourdough" in cart and "Mug" in cart


async def test_checkout_form_errors_name_the_field(
    make_app: AppFactory, cart_settings: Settings, db: AsyncSession
) -> None:
    app, _ = await cart_app(make_app, cart_settings)
    client = app.test_client()
    products = await guest_with_two_stalls(db, client)
    response = await check_out(client, products, **{f"address_{products[1].stall_id}": ""})
    assert response.status_code == 400
    assert "Give the delivery address for Hartley Ceramics" in await response.get_data(as_text=True)
    assert await db.scalar(select(Order)) is None


async def test_a_webhook_only_names_a_checkout_and_a_forged_one_changes_nothing(
    make_app: AppFactory, cart_settings: Settings, db: AsyncSession, sumup: SumUpStandIn
) -> None:
    app, _ = await cart_app(make_app, cart_settings)
    client = app.test_client()
    products = await guest_with_two_stalls(db, client)
    order_page = (await check_out(client, products)).headers["Location"]
    order = await db.scalar(select(Order))
    assert order is not None
    paying = await client.post(
        f"/orders/{order.number}/pay",
        form={
            "csrf_token": await csrf(client, order_page),
            "t": order.access_token,
            "amount_minor": "2250",
        },
    )
    checkout_id = hosted_url(await paying.get_data(as_text=True)).rsplit("/", 1)[1]
    forged = {"event_type": "CHECKOUT_STATUS_CHANGED", "id": checkout_id, "status": "PAID"}
    hook = await client.post("/payments/sumup/webhook", json=forged)
    assert hook.status_code == 204
    await db.refresh(order)
    assert order.status == "pending_payment"

    sumup.complete(checkout_id, pay=True)
    new_shape = {"event_type": "checkout.status.updated", "payload": {"checkout_id": checkout_id}}
    assert (await client.post("/payments/sumup/webhook", json=new_shape)).status_code == 204
    await db.refresh(order)
    assert order.status == "paid"


async def test_another_visitor_cannot_see_or_pay_an_order(
    make_app: AppFactory, cart_settings: Settings, db: AsyncSession
) -> None:
    app, who = await cart_app(make_app, cart_settings)
    client = app.test_client()
    products = await guest_with_two_stalls(db, client)
    await check_out(client, products)
    order = await db.scalar(select(Order))
    assert order is not None
    who.viewer = viewer_of(await make_user(db))
    stranger = app.test_client()
    assert (await stranger.get(f"/orders/{order.number}")).status_code == 404
    assert (await stranger.get(f"/orders/{order.number}?t=wrong")).status_code == 404
    assert (await stranger.get("/admin/orders")).status_code == 403


async def test_a_member_checks_out_declines_once_and_finds_the_order_in_their_list(
    make_app: AppFactory, cart_settings: Settings, db: AsyncSession, sumup: SumUpStandIn
) -> None:
    app, who = await cart_app(make_app, cart_settings)
    member = await make_user(db)
    who.viewer = viewer_of(member)
    client = app.test_client()
    products = await guest_with_two_stalls(db, client)
    form = await (await client.get("/checkout")).get_data(as_text=True)
    assert f'value="{member.email}"' in form  # the member's address, filled in
    order_page = (await check_out(client, products, email=member.email)).headers["Location"]
    order = await db.scalar(select(Order))
    assert order is not None and order.user_id == member.id
    paying = await client.post(
        f"/orders/{order.number}/pay",
        form={"csrf_token": await csrf(client, order_page), "t": "", "amount_minor": "2250"},
    )
    checkout_id = hosted_url(await paying.get_data(as_text=True)).rsplit("/", 1)[1]
    sumup.complete(checkout_id, pay=False)  # "Decline" on the hosted page
    back = await client.get(f"/orders/{order.number}/return")
    shown = await (await client.get(back.headers["Location"])).get_data(as_text=True)
    assert "The payment did not go through" in shown and "Pay £22.50" in shown
    listed = await (await client.get("/orders")).get_data(as_text=True)
    assert f'href="/orders/{order.number}"' in listed and "pending payment" in listed


async def csrf_page(client: Client) -> str:
    return await (await client.get("/checkout")).get_data(as_text=True)


async def test_a_checkout_form_sent_twice_places_one_order(
    make_app: AppFactory, cart_settings: Settings, db: AsyncSession
) -> None:
    # A resubmit after a lost answer (the app died just after its commit, as
    # bench/faults.py does to it) or a double click: the form's attempt finds its order.
    app, _ = await cart_app(make_app, cart_settings)
    client = app.test_client()
    bread, mug = await guest_with_two_stalls(db, client)
    html = await (await client.get("/checkout")).get_data(as_text=True)
    fields = dict(re.findall(r'name="(csrf_token|attempt)" value="([^"]*)"', html))
    assert len(fields["attempt"]) == 43
    form = {
        **fields,
        "email": "guest@example.test",
        "name": "Grace Hopper",
        f"method_{bread.stall_id}": "pickup",
        f"method_{mug.stall_id}": "pickup",
    }
    first = await client.post("/checkout", form=form)
    again = await client.post("/checkout", form=form)
    assert first.status_code == again.status_code == 303
    assert again.headers["Location"] == first.headers["Location"]
    assert len((await db.scalars(select(Order))).all()) == 1
    mails = await db.scalars(select(Job.key).where(Job.kind == "cart.send_mail"))
    assert len(list(mails)) == 1
    # A form rendered anew is a new checkout, which would place a second order: here it
    # is refused, the one mug being held by the first.
    html = await (await client.get("/checkout")).get_data(as_text=True)
    fresh = dict(re.findall(r'name="(csrf_token|attempt)" value="([^"]*)"', html))
    assert fresh["attempt"] != fields["attempt"]
    other = await client.post("/checkout", form={**form, **fresh})
    assert other.status_code == 409 and "Sold out" in await other.get_data(as_text=True)
    # The attempt is no key to the order from another cart (another browser).
    stranger = app.test_client()
    await guest_with_two_stalls(db, stranger)
    theirs = dict(re.findall(r'name="(csrf_token)" value="([^"]*)"', await csrf_page(stranger)))
    refused = await stranger.post("/checkout", form={**form, **theirs})
    assert refused.status_code == 400
    shown = await refused.get_data(as_text=True)
    assert "This checkout form is out of date" in shown and first.headers["Location"] not in shown
