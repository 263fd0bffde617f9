"""After payment: stall owners prepare their part, the order follows; the EU withdrawal."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.contracts.cart import OrderNotFound, OrderStateError
from shared.dev.smtp import SmtpStandIn
from shared.dev.sumup import SumUpStandIn
from shared.infrastructure.config import Settings
from shared.infrastructure.sumup import SumUpClient
from shared.models.cart import Order, OrderFulfilment, OrderStatus
from shared.models.market import Stall
from shared.services.cart.orders import advance_fulfilment, can_withdraw, move, withdraw
from shared.services.cart.payments import settle, start_payment
from tests.services.cart.test_payments import URLS, place, two_stall_cart
from tests.support.cart import Units, deliver_mails
from tests.support.factories import make_user


async def paid_order(
    db: AsyncSession,
    units: Units,
    settings: Settings,
    sumup: SumUpStandIn,
    client: SumUpClient,
) -> Order:
    owner, products = await two_stall_cart(db)
    order = await place(units, owner, products, settings)
    url = await start_payment(units, client, settings, order.id, URLS)
    sumup.complete(url.rsplit("/", 1)[1], pay=True)
    await settle(units, client, settings, url.rsplit("/", 1)[1], source="return")
    return order


def test_the_state_machine_refuses_a_move_it_does_not_allow() -> None:
    order = Order(status=OrderStatus.CANCELLED)
    with pytest.raises(OrderStateError):
        move(order, OrderStatus.PAID)
    order.status = OrderStatus.PENDING_PAYMENT
    with pytest.raises(OrderStateError):
        move(order, OrderStatus.REFUNDED)
    move(order, OrderStatus.PAID)
    assert order.status == "paid"


async def test_each_stall_owner_moves_only_their_part_and_the_order_follows(
    db: AsyncSession,
    sessions: async_sessionmaker[AsyncSession],
    units: Units,
    cart_settings: Settings,
    sumup: SumUpStandIn,
    sumup_client: SumUpClient,
    smtp: SmtpStandIn,
) -> None:
    order = await paid_order(db, units, cart_settings, sumup, sumup_client)
    pickup, delivery = order.fulfilments
    async with sessions() as s:
        baker = (await s.get(OrderFulfilment, pickup.id)).stall_id  # type: ignore[union-attr]
    stranger = await make_user(db)
    async with units() as uow:
        with pytest.raises(OrderNotFound):
            await advance_fulfilment(
                uow.session, cart_settings, pickup.id, user_id=stranger.id, to="ready"
            )
    async with sessions() as s:
        baker_id = (await s.get(Stall, baker)).owner_id  # type: ignore[union-attr]
        potter_id = (await s.get(Stall, delivery.stall_id)).owner_id  # type: ignore[union-attr]
    async with units() as uow:
        await advance_fulfilment(
            uow.session, cart_settings, pickup.id, user_id=baker_id, to="ready"
        )
    async with units() as uow:
        with pytest.raises(OrderStateError):  # a delivery is never "ready for pickup"
            await advance_fulfilment(
                uow.session, cart_settings, delivery.id, user_id=potter_id, to="ready"
            )
    async with units() as uow:
        await advance_fulfilment(
            uow.session, cart_settings, delivery.id, user_id=potter_id, to="fulfilled"
        )
    async with sessions() as s:
        assert (await s.get(Order, order.id)).status == "paid"  # type: ignore[union-attr]
    async with units() as uow:
        await advance_fulfilment(
            uow.session, cart_settings, pickup.id, user_id=baker_id, to="collected"
        )
    async with sessions() as s:
        assert (await s.get(Order, order.id)).status == "fulfilled"  # type: ignore[union-attr]
        subjects = [m.subject for m in await deliver_mails(s, cart_settings, smtp)]
    assert f"Order {order.number}: ready for pickup" in subjects


async def test_withdrawal_within_fourteen_days_where_the_product_allows(
    db: AsyncSession,
    sessions: async_sessionmaker[AsyncSession],
    units: Units,
    cart_settings: Settings,
    sumup: SumUpStandIn,
    sumup_client: SumUpClient,
    smtp: SmtpStandIn,
) -> None:
    order = await paid_order(db, units, cart_settings, sumup, sumup_client)
    async with units() as uow:
        done = await withdraw(uow.session, cart_settings, order.id)
    assert done.withdrawn_at is not None
    async with sessions() as s:
        mails = await deliver_mails(s, cart_settings, smtp)
    withdrawal = next(m for m in mails if "withdrawal" in m.subject)
    assert "Mug" in withdrawal.text and "Sourdough" not in withdrawal.text  # bread is perishable
    async with units() as uow:
        with pytest.raises(OrderStateError):
            await withdraw(uow.session, cart_settings, order.id)


async def test_no_withdrawal_after_fourteen_days(
    db: AsyncSession,
    sessions: async_sessionmaker[AsyncSession],
    units: Units,
    cart_settings: Settings,
    sumup: SumUpStandIn,
    sumup_client: SumUpClient,
) -> None:
    order = await paid_order(db, units, cart_settings, sumup, sumup_client)
    async with units() as uow:
        await uow.session.execute(
            update(Order)
            .where(Order.id == order.id)
            .values(paid_at=Order.paid_at - timedelta(days=15))
        )
    async with sessions() as s:
        late = await s.get(Order, order.id)
        assert late is not None and not can_withdraw(late)
