"""Orders after checkout: who may see them, stall owners' lines, refunds and withdrawal."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts.cart import OrderNotFound, OrderStateError, PaymentUnavailable
from shared.contracts.events import MemberOrdersChanged, record
from shared.infrastructure.config import Settings
from shared.infrastructure.sumup import SumUpClient, SumUpError, SumUpUnavailable
from shared.models.cart import (
    ORDER_TRANSITIONS,
    FulfilmentMethod,
    FulfilmentStatus,
    Order,
    OrderFulfilment,
    OrderLine,
    OrderStatus,
    Payment,
    PaymentStatus,
    Refund,
    RefundStatus,
)
from shared.models.market import Stall
from shared.services.cart import holds
from shared.services.cart.mails import queue_mail
from shared.services.cart.payments import Units, lock_order

WITHDRAWAL_DAYS = 14
REFUNDABLE = (
    OrderStatus.PAID,
    OrderStatus.FULFILLED,
    OrderStatus.COLLECTED,
    OrderStatus.PARTIALLY_REFUNDED,
)


def move(order: Order, to: OrderStatus) -> None:
    """The state machine: refuse a move ORDER_TRANSITIONS does not allow."""
    if to not in ORDER_TRANSITIONS[OrderStatus(order.status)]:
        raise OrderStateError(f"An order that is {order.status} cannot become {to}.")
    order.status = to


async def order_for_viewer(
    session: AsyncSession,
    number: str,
    *,
    user_id: int | None,
    token: str | None,
    is_admin: bool = False,
) -> Order:
    """The order `number` if the viewer may see it: its member, its link's token, staff."""
    order = await session.scalar(select(Order).where(Order.number == number))
    if order is None:
        raise OrderNotFound("No such order.")
    if is_admin or (user_id is not None and order.user_id == user_id):
        return order
    if token and hmac.compare_digest(token, order.access_token):
        return order
    raise OrderNotFound("No such order.")


async def member_orders(session: AsyncSession, user_id: int) -> list[Order]:
    return list(
        await session.scalars(
            select(Order).where(Order.user_id == user_id).order_by(Order.id.desc()).limit(100)
        )
    )


@dataclass(frozen=True, slots=True)
class StallWork:
    """One order's part for one stall: what to prepare and how it leaves."""

    order: Order
    stall: Stall
    fulfilment: OrderFulfilment
    lines: tuple[OrderLine, ...]


async def owned_stalls(session: AsyncSession, user_id: int) -> list[Stall]:
    return list(
        await session.scalars(select(Stall).where(Stall.owner_id == user_id).order_by(Stall.name))
    )


async def stall_work(session: AsyncSession, user_id: int) -> list[StallWork]:
    """The paid orders' lines of every stall the member owns, newest first."""
    rows = await session.execute(
        select(OrderFulfilment, Order, Stall)
        .join(Order, Order.id == OrderFulfilment.order_id)
        .join(Stall, Stall.id == OrderFulfilment.stall_id)
        .where(
            Stall.owner_id == user_id,
            Order.status.in_([s.value for s in OrderStatus if s not in _UNPAID]),
        )
        .order_by(Order.id.desc())
        .limit(200)
    )
    work = []
    for fulfilment, order, stall in rows:
        lines = tuple(line for line in order.lines if line.stall_id == stall.id)
        work.append(StallWork(order, stall, fulfilment, lines))
    return work


_UNPAID = (OrderStatus.PENDING_PAYMENT, OrderStatus.CANCELLED)
_NEXT_STEP = {
    (FulfilmentMethod.PICKUP, FulfilmentStatus.TO_PREPARE): FulfilmentStatus.READY,
    (FulfilmentMethod.PICKUP, FulfilmentStatus.READY): FulfilmentStatus.COLLECTED,
    (FulfilmentMethod.DELIVERY, FulfilmentStatus.TO_PREPARE): FulfilmentStatus.FULFILLED,
}


async def advance_fulfilment(
    session: AsyncSession, settings: Settings, fulfilment_id: int, *, user_id: int, to: str
) -> OrderFulfilment:
    """A stall owner marks its part ready for pickup, collected or delivered; the order
    becomes collected / fulfilled once every stall's part is."""
    row = (
        await session.execute(
            select(OrderFulfilment, Stall)
            .join(Stall, Stall.id == OrderFulfilment.stall_id)
            .where(OrderFulfilment.id == fulfilment_id, Stall.owner_id == user_id)
            .with_for_update(of=OrderFulfilment)
        )
    ).first()
    if row is None:
        raise OrderNotFound("No such order line for your stalls.")
    fulfilment = row[0]
    order = await lock_order(session, fulfilment.order_id)
    if order.status in _UNPAID:
        raise OrderStateError("That order is not paid.")
    step = _NEXT_STEP.get(
        (FulfilmentMethod(fulfilment.method), FulfilmentStatus(fulfilment.status))
    )
    if step is None or step != to:
        raise OrderStateError(f"That part of the order is {fulfilment.status.replace('_', ' ')}.")
    fulfilment.status = step
    fulfilment.done_at = holds.now()
    if order.user_id is not None:
        record(session, MemberOrdersChanged(user_id=order.user_id))
    if step == FulfilmentStatus.READY:
        await queue_mail(
            session,
            settings,
            order,
            "ready_for_pickup",
            key=str(fulfilment.id),
            stall=row[1],
            fulfilment=fulfilment,
        )
    await session.flush()
    done = (FulfilmentStatus.FULFILLED, FulfilmentStatus.COLLECTED)
    if order.status == OrderStatus.PAID and all(f.status in done for f in order.fulfilments):
        every_pickup = all(f.method == FulfilmentMethod.PICKUP for f in order.fulfilments)
        move(order, OrderStatus.COLLECTED if every_pickup else OrderStatus.FULFILLED)
    return fulfilment


async def all_orders(session: AsyncSession, status: str | None = None) -> list[Order]:
    query = select(Order).order_by(Order.id.desc()).limit(200)
    if status:
        query = query.where(Order.status == status)
    return list(await session.scalars(query))


async def payments_of(session: AsyncSession, order_id: int) -> list[Payment]:
    return list(
        await session.scalars(
            select(Payment).where(Payment.order_id == order_id).order_by(Payment.id)
        )
    )


async def refunds_of(session: AsyncSession, order_id: int) -> list[Refund]:
    return list(
        await session.scalars(
            select(Refund)
            .join(Payment, Payment.id == Refund.payment_id)
            .where(Payment.order_id == order_id)
            .order_by(Refund.id)
        )
    )


async def refund(
    units: Units,
    client: SumUpClient,
    settings: Settings,
    order_id: int,
    *,
    key: str,
    staff_id: int,
    line_id: int | None = None,
    amount_minor: int | None = None,
) -> Refund:
    """Refund a line, an amount, or (neither) all that is left; `key` (from the form)
    makes a double submit the same refund. Its state follows SumUp's transaction."""
    async with units() as uow:
        session = uow.session
        existing = await session.scalar(select(Refund).where(Refund.key == key))
        if existing is not None:
            return existing
        order = await lock_order(session, order_id)
        if order.status not in REFUNDABLE:
            raise OrderStateError(f"An order that is {order.status} cannot be refunded.")
        payment = await session.scalar(
            select(Payment).where(
                Payment.order_id == order.id,
                Payment.status == PaymentStatus.PAID,
                Payment.transaction_id.is_not(None),
            )
        )
        if payment is None:
            raise OrderStateError("This order has no SumUp payment to refund.")
        pending = await session.scalar(
            select(func.coalesce(func.sum(Refund.amount_minor), 0)).where(
                Refund.payment_id == payment.id, Refund.status == RefundStatus.REQUESTED
            )
        )
        left = order.total_minor - order.refunded_minor - int(pending or 0)
        line = None
        if line_id is not None:
            line = next((item for item in order.lines if item.id == line_id), None)
            if line is None:
                raise OrderNotFound("That line is not in this order.")
            amount_minor = line.total_minor - line.refunded_minor
        if amount_minor is None:
            amount_minor = left
        if not 1 <= amount_minor <= left:
            raise OrderStateError(
                f"Refund between 0.01 and what is left to refund ({left / 100:.2f})."
            )
        row = Refund(
            payment_id=payment.id,
            order_line_id=line.id if line else None,
            key=key,
            amount_minor=amount_minor,
            requested_by=staff_id,
        )
        session.add(row)
        await session.flush()
        refund_id, transaction_id = row.id, payment.transaction_id
        refunded_before = order.refunded_minor
        full = amount_minor == order.total_minor - order.refunded_minor and line is None
    assert transaction_id is not None
    try:
        await client.refund(transaction_id, None if full else amount_minor)
        transaction = await client.get_transaction(transaction_id)
    except SumUpUnavailable as exc:
        raise PaymentUnavailable(
            "SumUp is not answering: the refund is recorded as requested; try again."
        ) from exc
    except SumUpError as exc:
        async with units() as uow:
            failed = await uow.session.get(Refund, refund_id)
            assert failed is not None
            failed.status = RefundStatus.FAILED
            failed.note = f"SumUp refused the refund ({exc.status})"
        raise OrderStateError(f"SumUp refused the refund ({exc.status}).") from exc
    async with units() as uow:
        session = uow.session
        order = await lock_order(session, order_id)
        stored = await session.get(Refund, refund_id)
        assert stored is not None
        row = stored
        # SumUp's transaction, not our request, says whether the money went back.
        if transaction is None or transaction.refunded_minor < refunded_before + amount_minor:
            row.note = "SumUp's transaction does not show the refund yet"
            return row
        row.status = RefundStatus.SUCCEEDED
        order.refunded_minor += amount_minor
        if row.order_line_id is not None:
            for item in order.lines:
                if item.id == row.order_line_id:
                    item.refunded_minor += amount_minor
        move(
            order,
            OrderStatus.REFUNDED
            if order.refunded_minor == order.total_minor
            else OrderStatus.PARTIALLY_REFUNDED,
        )
        if order.user_id is not None:
            record(session, MemberOrdersChanged(user_id=order.user_id))
        await queue_mail(session, settings, order, "refunded", key=str(row.id), refund=row)
        return row


def withdrawal_deadline(order: Order) -> datetime | None:
    """14 days from when the goods arrived (or from payment, until they have)."""
    received = [f.done_at for f in order.fulfilments if f.done_at is not None]
    start = max(received) if received else order.paid_at
    return None if start is None else start + timedelta(days=WITHDRAWAL_DAYS)


def can_withdraw(order: Order) -> bool:
    deadline = withdrawal_deadline(order)
    return (
        order.withdrawn_at is None
        and order.status in REFUNDABLE
        and any(line.withdrawable for line in order.lines)
        and deadline is not None
        and holds.now() <= deadline
    )


async def withdraw(session: AsyncSession, settings: Settings, order_id: int) -> Order:
    """The buyer withdraws from the contract (Directive 2023/2673's button); staff refund."""
    order = await lock_order(session, order_id)
    if not can_withdraw(order):
        raise OrderStateError("This order cannot be withdrawn from (any more).")
    order.withdrawn_at = holds.now()
    if order.user_id is not None:
        record(session, MemberOrdersChanged(user_id=order.user_id))
    lines = [line for line in order.lines if line.withdrawable]
    await queue_mail(session, settings, order, "withdrawal", lines=lines)
    return order
