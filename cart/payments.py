"""The cart app's handles on its payment machinery: units of work and the SumUp client."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from quart import current_app, request

from cart.config import ANON_CART_COOKIE
from shared.contracts.cart import CartOwner
from shared.infrastructure.config import Settings
from shared.infrastructure.runtime import end_request_reads, runtime
from shared.infrastructure.sumup import SumUpClient
from shared.infrastructure.uow import UnitOfWork
from shared.infrastructure.viewer import current_viewer
from shared.models.cart import Order
from shared.services.cart.payments import PaymentUrls


def settings() -> Settings:
    return runtime(current_app).settings


def units() -> UnitOfWork:
    """A unit of work on a session of its own: paying spans several transactions."""
    return runtime(current_app).unit_of_work()


async def end_reads() -> None:
    """Before paying's own units of work: each unit's commit is then final (in tests, where
    sessions nest on one connection, it is not otherwise)."""
    await end_request_reads(current_app)


@asynccontextmanager
async def sumup() -> AsyncIterator[SumUpClient]:
    client = SumUpClient(settings().sumup)
    try:
        yield client
    finally:
        await client.aclose()


def owner() -> CartOwner:
    viewer = current_viewer()
    if viewer is not None:
        return CartOwner(user_id=viewer.id, anon_token=None)
    token = request.cookies.get(ANON_CART_COOKIE) or None
    return CartOwner(user_id=None, anon_token=token)


def order_path(order: Order) -> str:
    """The order page's path; the token lets a guest (or a mail's reader) open it."""
    return f"/orders/{order.number}?t={order.access_token}"


def payment_urls(order: Order) -> PaymentUrls:
    config = settings()
    base = config.app("cart").base_url
    hooks = config.sumup.webhook_base_url.rstrip("/") or base
    return PaymentUrls(
        redirect_url=f"{base}/orders/{order.number}/return?t={order.access_token}",
        webhook_url=f"{hooks}/payments/sumup/webhook",
    )
