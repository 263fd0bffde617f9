"""Checkout to paid order against the SumUp stand-in over real HTTP: holds, the one paid
transition, failures and outages, reconciliation, refunds."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.contracts.cart import (
    CartOwner,
    CheckoutError,
    Contact,
    FulfilmentChoice,
    PaymentUnavailable,
    SoldOut,
)
from shared.contracts.events import OrderPaid
from shared.dev.smtp import SmtpStandIn
from shared.dev.sumup import SumUpStandIn
from shared.infrastructure.config import Settings
from shared.infrastructure.sumup import SumUpClient, SumUpUnavailable
from shared.infrastructure.uow import UnitOfWork
from shared.models.cart import Cart, CartLine, Order, Payment, StockHold
from shared.models.market import Product, ProductVariant
from shared.services.cart.checkout import place_order
from shared.services.cart.orders import refund
from shared.services.cart.payments import (
    PaymentUrls,
    reconcile,
    release_expired,
    settle,
    start_payment,
)
from tests.support.cart import Units, deliver_mails, queued_mails
from tests.support.factories import add, make_product, make_stall, make_user

URLS = PaymentUrls(
    redirect_url="http://cart.test/orders/back", webhook_url="http://127.0.0.1:9/nowhere"
)


async def fill_cart(db: AsyncSession, token: str, *items: tuple[Product, int]) -> CartOwner:
    cart = Cart(anon_token=token)
    await add(db, cart)
    for product, quantity in items:
        await add(
            db,
            CartLine(
                cart_id=cart.id,
                product_id=product.id,
                variant_id=product.variants[0].id,
                quantity=quantity,
            ),
        )
    return CartOwner(user_id=None, anon_token=token)


async def two_stall_cart(
    db: AsyncSession, token: str = "guest-1"
) -> tuple[CartOwner, list[Product]]:
    bakery = await make_stall(db, "Hill Bakery")
    potter = await make_stall(db, "Hartley Ceramics")
    bread = await make_product(db, bakery, "Sourdough", 450, stock=5, withdrawal_allowed=False)
    mug = await make_product(db, potter, "Mug", 1800, stock=2)
    owner = await fill_cart(db, token, (bread, 2), (mug, 1))
    return owner, [bread, mug]


def choices(products: list[Product]) -> dict[int, FulfilmentChoice]:
    first, second = products
    return {
        first.stall_id: FulfilmentChoice(first.stall_id, "pickup"),
        second.stall_id: FulfilmentChoice(second.stall_id, "delivery", "1 Lane, Leeds"),
    }


async def place(
    units: Units, owner: CartOwner, products: list[Product], settings: Settings
) -> Order:
    async with units() as uow:
        return await place_order(
            uow.session,
            owner=owner,
            contact=Contact("ada@example.test", "Ada Lovelace"),
            choices=choices(products),
            notes="Ring twice",
            hold_minutes=settings.cart.hold_minutes,
        )


async def fresh(sessions: async_sessionmaker[AsyncSession], model: type, id_: int):  # type: ignore[no-untyped-def]
    async with sessions() as session:
        return await session.get(model, id_)


async def test_an_order_pays_once_and_takes_the_stock(
    db: AsyncSession,
    sessions: async_sessionmaker[AsyncSession],
    units: Units,
    cart_settings: Settings,
    sumup: SumUpStandIn,
    sumup_client: SumUpClient,
    smtp: SmtpStandIn,
) -> None:
    owner, (bread, mug) = await two_stall_cart(db)
    order = await place(units, owner, [bread, mug], cart_settings)
    assert order.status == "pending_payment" and order.total_minor == 2 * 450 + 1800
    assert [(line.title, line.unit_price_minor, line.withdrawable) for line in order.lines] == [
        ("Sourdough", 450, False),
        ("Mug", 1800, True),
    ]
    async with sessions() as s:
        assert sorted((await s.scalars(select(StockHold.quantity))).all()) == [1, 2]

    url = await start_payment(units, sumup_client, cart_settings, order.id, URLS)
    again = await start_payment(units, sumup_client, cart_settings, order.id, URLS)
    assert url == again  # a double click pays the same checkout
    checkout_id = url.rsplit("/", 1)[1]
    assert sumup.checkouts[checkout_id].reference == order.number

    sumup.complete(checkout_id, pay=True)
    opened: list[UnitOfWork] = []

    def watched() -> UnitOfWork:
        opened.append(units())
        return opened[-1]

    for source in ("return", "webhook", "webhook"):
        await settle(watched, sumup_client, cart_settings, checkout_id, source=source)
    paid_events = [e for unit in opened for e in unit.committed if isinstance(e, OrderPaid)]
    assert paid_events == [OrderPaid(order_id=order.id)]  # for the events domain, once

    async with sessions() as s:
        paid = await s.get(Order, order.id)
        assert paid is not None and paid.status == "paid" and paid.paid_at is not None
        stocks = (
            await s.scalars(
                select(ProductVariant.stock)
                .where(ProductVariant.id.in_([bread.variants[0].id, mug.variants[0].id]))
                .order_by(ProductVariant.id)
            )
        ).all()
        assert stocks == [3, 1]
        assert (await s.scalars(select(StockHold))).all() == []
        assert (await s.scalars(select(CartLine))).all() == []  # the cart is empty
        mails = await deliver_mails(s, cart_settings, smtp)
    assert [m.subject for m in mails] == [f"Order {order.number}: payment confirmed"]
    assert "Sourdough" in mails[0].text and f"/orders/{order.number}?t=" in mails[0].text


async def test_checkout_refuses_a_bad_form_and_writes_nothing(
    db: AsyncSession,
    sessions: async_sessionmaker[AsyncSession],
    units: Units,
    cart_settings: Settings,
) -> None:
    owner, products = await two_stall_cart(db)
    bad = choices(products)
    bad[products[1].stall_id] = FulfilmentChoice(products[1].stall_id, "delivery", "  ")
    with pytest.raises(CheckoutError, match="delivery address"):
        async with units() as uow:
            await place_order(
                uow.session,
                owner=owner,
                contact=Contact("ada@example.test", "Ada"),
                choices=bad,
                notes="",
                hold_minutes=15,
            )
    with pytest.raises(CheckoutError, match="email"):
        async with units() as uow:
            await place_order(
                uow.session,
                owner=owner,
                contact=Contact("not-an-address", "Ada"),
                choices=choices(products),
                notes="",
                hold_minutes=15,
            )
    async with sessions() as s:
        assert (await s.scalars(select(Order))).all() == []
        assert (await s.scalars(select(StockHold))).all() == []


async def test_the_sandbox_amount_11_fails_and_a_new_attempt_gets_a_new_reference(
    db: AsyncSession,
    sessions: async_sessionmaker[AsyncSession],
    units: Units,
    cart_settings: Settings,
    sumup: SumUpStandIn,
    sumup_client: SumUpClient,
) -> None:
    stall = await make_stall(db, "Eleven")
    thing = await make_product(db, stall, "Eleven pounds", 1100, stock=4)
    owner = await fill_cart(db, "guest-11", (thing, 1))
    order = await place(units, owner, [thing, thing], cart_settings)
    url = await start_payment(units, sumup_client, cart_settings, order.id, URLS)
    checkout_id = url.rsplit("/", 1)[1]
    sumup.complete(checkout_id, pay=True)
    await settle(units, sumup_client, cart_settings, checkout_id, source="return")
    async with sessions() as s:
        assert (await s.get(Order, order.id)).status == "pending_payment"  # type: ignore[union-attr]
        assert (await s.scalars(select(Payment.status))).all() == ["failed"]
    second = await start_payment(units, sumup_client, cart_settings, order.id, URLS)
    assert second != url
    assert sumup.checkouts[second.rsplit("/", 1)[1]].reference == f"{order.number}-2"


async def test_a_forged_webhook_for_a_pending_checkout_changes_nothing(
    db: AsyncSession,
    sessions: async_sessionmaker[AsyncSession],
    units: Units,
    cart_settings: Settings,
    sumup_client: SumUpClient,
) -> None:
    owner, products = await two_stall_cart(db)
    order = await place(units, owner, products, cart_settings)
    url = await start_payment(units, sumup_client, cart_settings, order.id, URLS)
    await settle(
        units,
        sumup_client,
        cart_settings,
        url.rsplit("/", 1)[1],
        source="webhook",
        payload={"event_type": "CHECKOUT_STATUS_CHANGED", "status": "PAID"},
    )
    async with sessions() as s:
        assert (await s.get(Order, order.id)).status == "pending_payment"  # type: ignore[union-attr]
        assert (await s.scalars(select(Payment.status))).all() == ["pending"]
        assert await queued_mails(s) == []


async def test_sumup_down_at_pay_is_a_clear_error_with_the_cart_intact(
    db: AsyncSession,
    sessions: async_sessionmaker[AsyncSession],
    units: Units,
    cart_settings: Settings,
    sumup: SumUpStandIn,
    sumup_client: SumUpClient,
) -> None:
    owner, products = await two_stall_cart(db)
    order = await place(units, owner, products, cart_settings)
    sumup.down()
    with pytest.raises(PaymentUnavailable, match="Nothing was charged"):
        await start_payment(units, sumup_client, cart_settings, order.id, URLS)
    async with sessions() as s:
        assert len((await s.scalars(select(CartLine))).all()) == 2
        assert (await s.get(Order, order.id)).status == "pending_payment"  # type: ignore[union-attr]
    sumup.up()
    url = await start_payment(units, sumup_client, cart_settings, order.id, URLS)
    assert sumup.checkouts[url.rsplit("/", 1)[1]].reference == order.number


async def test_down_when_the_webhook_is_due_reconciliation_pays_later(
    db: AsyncSession,
    sessions: async_sessionmaker[AsyncSession],
    units: Units,
    cart_settings: Settings,
    sumup: SumUpStandIn,
    sumup_client: SumUpClient,
) -> None:
    owner, products = await two_stall_cart(db)
    order = await place(units, owner, products, cart_settings)
    url = await start_payment(units, sumup_client, cart_settings, order.id, URLS)
    checkout_id = url.rsplit("/", 1)[1]
    sumup.complete(checkout_id, pay=True)
    sumup.down()  # the webhook and the buyer's return never reach us
    with pytest.raises(SumUpUnavailable):
        await settle(units, sumup_client, cart_settings, checkout_id, source="return")
    assert await reconcile(units, sumup_client, cart_settings, older_than=timedelta(0)) == 0
    async with sessions() as s:
        assert (await s.get(Order, order.id)).status == "pending_payment"  # type: ignore[union-attr]
    sumup.up()
    assert await reconcile(units, sumup_client, cart_settings, older_than=timedelta(0)) == 1
    async with sessions() as s:
        assert (await s.get(Order, order.id)).status == "paid"  # type: ignore[union-attr]
        assert len(await queued_mails(s)) == 1


async def test_an_expired_hold_frees_the_stock(
    db: AsyncSession,
    sessions: async_sessionmaker[AsyncSession],
    units: Units,
    cart_settings: Settings,
    sumup_client: SumUpClient,
) -> None:
    stall = await make_stall(db, "Last one")
    vase = await make_product(db, stall, "Vase", 3000, stock=1)
    first = await place(units, await fill_cart(db, "g-a", (vase, 1)), [vase, vase], cart_settings)
    second_owner = await fill_cart(db, "g-b", (vase, 1))
    with pytest.raises(SoldOut):
        await place(units, second_owner, [vase, vase], cart_settings)

    async with units() as uow:  # fifteen minutes later
        await uow.session.execute(
            update(StockHold).values(expires_at=StockHold.expires_at - timedelta(hours=1))
        )
    assert await release_expired(units, sumup_client, cart_settings) == 1
    second = await place(units, second_owner, [vase, vase], cart_settings)
    async with sessions() as s:
        assert (await s.get(Order, first.id)).status == "cancelled"  # type: ignore[union-attr]
        assert (await s.get(Order, second.id)).status == "pending_payment"  # type: ignore[union-attr]


async def test_staff_refund_a_line_then_the_rest(
    db: AsyncSession,
    sessions: async_sessionmaker[AsyncSession],
    units: Units,
    cart_settings: Settings,
    sumup: SumUpStandIn,
    sumup_client: SumUpClient,
) -> None:
    owner, products = await two_stall_cart(db)
    order = await place(units, owner, products, cart_settings)
    url = await start_payment(units, sumup_client, cart_settings, order.id, URLS)
    checkout_id = url.rsplit("/", 1)[1]
    sumup.complete(checkout_id, pay=True)
    await settle(units, sumup_client, cart_settings, checkout_id, source="return")
    mug_line = order.lines[1]
    staff = await make_user(db, is_admin=True)

    first = await refund(
        units,
        sumup_client,
        cart_settings,
        order.id,
        key="r-1",
        staff_id=staff.id,
        line_id=mug_line.id,
    )
    same = await refund(
        units,
        sumup_client,
        cart_settings,
        order.id,
        key="r-1",
        staff_id=staff.id,
        line_id=mug_line.id,
    )
    assert first.status == "succeeded" and same.id == first.id and first.amount_minor == 1800
    transaction = sumup.checkouts[checkout_id].transactions[0]
    assert transaction.refunded == 18
    async with sessions() as s:
        assert (await s.get(Order, order.id)).status == "partially_refunded"  # type: ignore[union-attr]

    rest = await refund(units, sumup_client, cart_settings, order.id, key="r-2", staff_id=staff.id)
    assert rest.amount_minor == 900 and transaction.status == "REFUNDED"
    async with sessions() as s:
        done = await s.get(Order, order.id)
        assert done is not None and done.status == "refunded" and done.refunded_minor == 2700
