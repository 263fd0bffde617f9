"""Paying an order through SumUp, and the one transition to paid.

Nothing SumUp sends is believed: the buyer's return and the webhook only name a
checkout, which `settle` refetches (`GET /v0.1/checkouts/{id}`) and checks against
our payment row (reference, amount, currency, merchant) before acting. The payment
row is locked while settling and the order moves with a conditional UPDATE
(`… WHERE status = 'pending_payment'`), so of any number of concurrent returns,
webhooks and reconciliation runs exactly one commits the paid transition: it takes
the stock, drops the holds, empties the cart, records OrderPaid and queues one mail.

HTTP to SumUp never happens inside a transaction: the payment row is written first
(its reference is the order number, so a retry reuses the same SumUp checkout),
then SumUp is called, then the answer is stored in a second unit of work.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts.cart import OrderNotFound, OrderStateError, PaymentUnavailable, SoldOut
from shared.contracts.events import CartChanged, MemberOrdersChanged, OrderPaid, record
from shared.infrastructure.config import Settings
from shared.infrastructure.sumup import Checkout, SumUpClient, SumUpError, SumUpUnavailable
from shared.infrastructure.uow import UnitOfWork
from shared.models.cart import (
    Cart,
    CartLine,
    Order,
    OrderStatus,
    Payment,
    PaymentEvent,
    PaymentStatus,
    StockHold,
)
from shared.models.market import ProductVariant
from shared.services.cart import holds, tickets
from shared.services.cart.mails import queue_mail

log = logging.getLogger(__name__)

Units = Callable[[], UnitOfWork]


@dataclass(frozen=True, slots=True)
class PaymentUrls:
    """Where SumUp sends the buyer back (`redirect_url`) and its webhook (`return_url`)."""

    redirect_url: str
    webhook_url: str


async def lock_order(session: AsyncSession, order_id: int) -> Order:
    order = await session.scalar(select(Order).where(Order.id == order_id).with_for_update())
    if order is None:
        raise OrderNotFound("No such order.")
    return order


async def _renew_holds(session: AsyncSession, order: Order, minutes: int) -> None:
    """Paying re-checks the stock: holds are extended, and an expired one is taken again
    only if the units are still there (SoldOut otherwise)."""
    counted = [line for line in order.lines if line.variant_id is not None]
    variants = await holds.lock_variants(session, [line.variant_id for line in counted])  # type: ignore[misc]
    current = dict(
        (
            await session.execute(
                select(StockHold.variant_id, func.sum(StockHold.quantity))
                .where(StockHold.order_id == order.id, StockHold.expires_at > holds.now())
                .group_by(StockHold.variant_id)
            )
        ).all()
    )
    others = await holds.held(session, variants, except_order=order.id)
    seats = await tickets.renewable(session, order)
    for line in counted:
        variant = variants.get(line.variant_id or 0)
        if variant is None:
            raise SoldOut(line.title)
        left = holds.left(variant, others)
        if left is not None and current.get(variant.id, 0) < line.quantity and line.quantity > left:
            raise SoldOut(line.title)
    await session.execute(delete(StockHold).where(StockHold.order_id == order.id))
    expires_at = holds.now() + timedelta(minutes=minutes)
    for line in counted:
        variant = variants[line.variant_id or 0]
        if holds.left(variant, {}) is not None:
            session.add(
                StockHold(
                    order_id=order.id,
                    variant_id=variant.id,
                    quantity=line.quantity,
                    expires_at=expires_at,
                )
            )
    for ticket_type_id, quantity in seats:
        session.add(tickets.hold(order.id, ticket_type_id, quantity, expires_at))
    await session.flush()


async def start_payment(
    units: Units, client: SumUpClient, settings: Settings, order_id: int, urls: PaymentUrls
) -> str:
    """The hosted checkout URL to send the buyer to; a double click gets the same one.

    Raises OrderStateError (not payable), SoldOut (the hold lapsed and the stock went),
    PaymentUnavailable (SumUp unreachable: nothing charged, nothing lost)."""
    minutes = settings.cart.hold_minutes
    async with units() as uow:
        order = await lock_order(uow.session, order_id)
        if order.status != OrderStatus.PENDING_PAYMENT:
            raise OrderStateError(
                f"This order is {order.status.replace('_', ' ')}: nothing to pay."
            )
        payments = list(
            await uow.session.scalars(
                select(Payment).where(Payment.order_id == order.id).order_by(Payment.id)
            )
        )
        payment = payments[-1] if payments else None
        fresh = payment is not None and payment.created_at > holds.now() - timedelta(
            minutes=minutes
        )
        if payment is not None and payment.status == PaymentStatus.PENDING and fresh:
            if payment.hosted_checkout_url:
                return payment.hosted_checkout_url
        else:
            if payment is not None and payment.status == PaymentStatus.PENDING:
                # An old attempt: SumUp let it expire with the hold (valid_until).
                payment.status = PaymentStatus.EXPIRED
            attempt = len(payments) + 1
            payment = Payment(
                order_id=order.id,
                reference=order.number if attempt == 1 else f"{order.number}-{attempt}",
                amount_minor=order.total_minor,
                currency=order.currency,
                status=PaymentStatus.PENDING,
            )
            uow.session.add(payment)
        await _renew_holds(uow.session, order, minutes)
        await uow.session.flush()
        payment_id, reference = payment.id, payment.reference
        amount, currency, number = order.total_minor, order.currency, order.number
    try:
        checkout = await client.create_checkout(
            reference=reference,
            amount_minor=amount,
            currency=currency,
            description=f"Rose Ash order {number}",
            return_url=urls.webhook_url,
            redirect_url=urls.redirect_url,
            valid_until=holds.now() + timedelta(minutes=minutes),
        )
    except SumUpUnavailable as exc:
        raise PaymentUnavailable(
            "The payment service is not answering. Nothing was charged and your order is "
            "kept: try Pay again in a minute."
        ) from exc
    except SumUpError as exc:
        log.error("SumUp refused checkout %s: %s %s", reference, exc.status, exc.body)
        raise PaymentUnavailable("The payment service refused this payment.") from exc
    async with units() as uow:
        await uow.session.execute(
            update(Payment)
            .where(Payment.id == payment_id)
            .values(checkout_id=checkout.id, hosted_checkout_url=checkout.hosted_checkout_url)
        )
    if not checkout.hosted_checkout_url:
        raise PaymentUnavailable("The payment service gave no payment page.")
    return checkout.hosted_checkout_url


def _matches(checkout: Checkout, payment: Payment, merchant_code: str) -> bool:
    return (
        checkout.reference == payment.reference
        and checkout.amount_minor == payment.amount_minor
        and checkout.currency == payment.currency
        and checkout.merchant_code == merchant_code
    )


async def settle(
    units: Units,
    client: SumUpClient,
    settings: Settings,
    checkout_id: str,
    *,
    source: str,
    payload: dict[str, Any] | None = None,
) -> int | None:
    """Refetch the checkout and act on what SumUp says; the order's id, or None if it is
    not one of ours. Raises SumUpUnavailable when SumUp cannot be asked (retry later)."""
    async with units() as uow:
        # A made-up id costs a lookup here, never a request to SumUp.
        ours = await uow.session.scalar(
            select(Payment.id).where(Payment.checkout_id == checkout_id)
        )
    if ours is None:
        return None
    fetched = await client.get_checkout(checkout_id)
    async with units() as uow:
        session = uow.session
        payment = await session.scalar(
            select(Payment).where(Payment.checkout_id == checkout_id).with_for_update()
        )
        if payment is None:
            return None
        status = fetched.status if fetched else "UNKNOWN"
        note = f"refetched: {status}"
        if fetched is not None and not _matches(fetched, payment, client.merchant_code):
            note = "refetched checkout does not match the payment: ignored"
            log.warning("checkout %s does not match payment %s", checkout_id, payment.id)
            fetched = None
        session.add(
            PaymentEvent(payment_id=payment.id, kind=source, payload=payload or {}, note=note)
        )
        payment.checked_at = holds.now()
        if fetched is None or payment.status == PaymentStatus.PAID:
            return payment.order_id
        if fetched.status == "PAID":
            transaction = fetched.successful_transaction
            payment.status = PaymentStatus.PAID
            payment.transaction_id = transaction.id if transaction else None
            await session.flush()
            await _mark_paid(session, settings, payment.order_id)
        elif fetched.status == "FAILED":
            payment.status = PaymentStatus.FAILED
        elif fetched.status == "EXPIRED":
            payment.status = PaymentStatus.EXPIRED
        return payment.order_id


async def _mark_paid(session: AsyncSession, settings: Settings, order_id: int) -> None:
    moved = await session.scalar(
        update(Order)
        .where(Order.id == order_id, Order.status == OrderStatus.PENDING_PAYMENT)
        .values(status=OrderStatus.PAID, paid_at=func.now())
        .returning(Order.id)
    )
    if moved is None:
        # Paid after the order was cancelled (its hold lapsed): staff refund it.
        log.error("order %s was paid but is no longer pending payment", order_id)
        return
    order = await session.get(Order, order_id)
    assert order is not None
    await session.refresh(order)
    for line in order.lines:
        if line.variant_id is None:
            continue
        # The stock is committed now; GREATEST keeps a (never expected) oversell visible
        # in the logs instead of failing the record of money taken.
        await session.execute(
            update(ProductVariant)
            .where(
                ProductVariant.id == line.variant_id,
                ProductVariant.stock.is_not(None),
                ProductVariant.made_to_order.is_(False),
            )
            .values(stock=func.greatest(ProductVariant.stock - line.quantity, 0))
        )
    await session.execute(delete(StockHold).where(StockHold.order_id == order.id))
    if order.cart_id is not None:
        cart = await session.get(Cart, order.cart_id)
        bought = [
            and_(CartLine.variant_id == line.variant_id)
            if line.variant_id is not None
            else CartLine.ticket_type_id == line.ticket_type_id
            for line in order.lines
            if line.variant_id is not None or line.ticket_type_id is not None
        ]
        if cart is not None and bought:
            await session.execute(delete(CartLine).where(CartLine.cart_id == cart.id, or_(*bought)))
            record(session, CartChanged(user_id=cart.user_id, anon_token=cart.anon_token))
    record(session, OrderPaid(order_id=order.id))
    if order.user_id is not None:  # its card, and the tickets it issues
        record(session, MemberOrdersChanged(user_id=order.user_id))
    await queue_mail(session, settings, order, "payment_confirmed")


async def reconcile(
    units: Units, client: SumUpClient, settings: Settings, *, older_than: timedelta
) -> int:
    """Settle the payments still pending after `older_than` (a webhook can be lost);
    how many were asked about."""
    async with units() as uow:
        rows = (
            await uow.session.execute(
                select(Payment.id, Payment.checkout_id, Payment.reference).where(
                    Payment.status == PaymentStatus.PENDING,
                    Payment.created_at < holds.now() - older_than,
                )
            )
        ).all()
    asked = 0
    for payment_id, checkout_id, reference in rows:
        try:
            if checkout_id is None:
                # SumUp may have made the checkout though its answer never reached us.
                found = await client.find_checkout(reference)
                if found is None:
                    continue
                async with units() as uow:
                    await uow.session.execute(
                        update(Payment)
                        .where(Payment.id == payment_id)
                        .values(checkout_id=found.id, hosted_checkout_url=found.hosted_checkout_url)
                    )
                checkout_id = found.id
            await settle(units, client, settings, checkout_id, source="reconciliation")
            asked += 1
        except SumUpUnavailable:
            log.warning("SumUp unavailable while reconciling payment %s", payment_id)
            break
    return asked


async def release_expired(units: Units, client: SumUpClient, settings: Settings) -> int:
    """Cancel the orders left unpaid after their holds expired, freeing their stock;
    SumUp is asked first, so a payment made at the last minute is kept."""
    grace = timedelta(minutes=settings.cart.hold_minutes)
    live_hold = (
        select(StockHold.id)
        .where(StockHold.order_id == Order.id, StockHold.expires_at > holds.now())
        .exists()
    )
    async with units() as uow:
        order_ids = list(
            await uow.session.scalars(
                select(Order.id).where(
                    Order.status == OrderStatus.PENDING_PAYMENT,
                    ~live_hold,
                    or_(
                        select(StockHold.id).where(StockHold.order_id == Order.id).exists(),
                        Order.created_at < holds.now() - grace,
                    ),
                )
            )
        )
    cancelled = 0
    for order_id in order_ids:
        async with units() as uow:
            checkouts = list(
                await uow.session.scalars(
                    select(Payment.checkout_id).where(
                        Payment.order_id == order_id,
                        Payment.status == PaymentStatus.PENDING,
                        Payment.checkout_id.is_not(None),
                    )
                )
            )
        try:
            for checkout_id in checkouts:
                if checkout_id is not None:
                    await settle(units, client, settings, checkout_id, source="hold-expiry")
        except SumUpUnavailable:
            continue  # never cancel what we could not ask SumUp about
        async with units() as uow:
            order = await lock_order(uow.session, order_id)
            still_live = await uow.session.scalar(
                select(StockHold.id)
                .where(StockHold.order_id == order.id, StockHold.expires_at > holds.now())
                .limit(1)
            )
            if order.status != OrderStatus.PENDING_PAYMENT or still_live is not None:
                continue
            order.status = OrderStatus.CANCELLED
            order.cancelled_at = holds.now()
            await uow.session.execute(delete(StockHold).where(StockHold.order_id == order.id))
            if order.user_id is not None:
                record(uow.session, MemberOrdersChanged(user_id=order.user_id))
            cancelled += 1
    return cancelled
