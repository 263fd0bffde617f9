"""Concurrent buyers on a database whose commits are real (the test transaction cannot
show races): the last units are sold exactly once, and a payment is settled once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import pytest
from redis.asyncio import Redis
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.contracts.cart import CartOwner, Contact, FulfilmentChoice, SoldOut
from shared.dev.schema import migrate
from shared.dev.sumup import SumUpStandIn
from shared.infrastructure.config import Settings
from shared.infrastructure.db import make_engine, make_sessionmaker
from shared.infrastructure.fragment_cache import FragmentCache
from shared.infrastructure.sumup import SumUpClient
from shared.infrastructure.uow import UnitOfWork
from shared.models.cart import Cart, CartLine, Order, OrderStatus, PaymentEvent
from shared.models.identity import User
from shared.models.jobs import Job
from shared.models.market import Product, ProductVariant, Stall
from shared.services.cart.checkout import AlreadyPlaced, new_attempt, place_order
from shared.services.cart.mails import SEND_MAIL
from shared.services.cart.payments import PaymentUrls, settle, start_payment
from shared.services.handlers import event_handlers
from tests.support.cart import Units, with_sumup
from tests.support.databases import DatabaseServer

pytestmark = pytest.mark.slow
DATABASE = "rose_ash_cart_races"
BUYERS = 20
UNITS = 3
URLS = PaymentUrls(redirect_url="http://cart.test/back", webhook_url="http://127.0.0.1:9/x")


@pytest.fixture(scope="module")
def races_database(database_server: DatabaseServer) -> Iterator[str]:
    url = database_server.create_fresh(DATABASE)
    migrate(url)
    yield url
    database_server.drop(DATABASE)


@pytest.fixture
async def committed(
    races_database: str, settings: Settings, sumup_stand_in: SumUpStandIn
) -> AsyncIterator[tuple[async_sessionmaker[AsyncSession], Units, Settings]]:
    database = settings.database.model_copy(update={"url": races_database, "pool_size": BUYERS + 5})
    config = with_sumup(settings.model_copy(update={"database": database}), sumup_stand_in)
    engine = make_engine(config.database)
    sessions = make_sessionmaker(engine)
    redis = Redis.from_url(config.redis.url)
    fragments = FragmentCache(redis, keep_stale=60, timeout=1.0)
    handlers = event_handlers()

    def units() -> UnitOfWork:
        return UnitOfWork(sessions(), handlers=handlers, fragments=fragments, owns_session=True)

    yield sessions, units, config
    await redis.aclose()
    await engine.dispose()


async def _shop(sessions: async_sessionmaker[AsyncSession], tag: str) -> tuple[Product, int]:
    async with sessions() as s, s.begin():
        owner = User(
            username=f"potter_{tag}", display_name="Potter", email=f"potter-{tag}@example.test"
        )
        s.add(owner)
        await s.flush()
        stall = Stall(slug=f"stall-{tag}", name=f"Stall {tag}", owner_id=owner.id)
        product = Product(
            stall=stall,
            slug="vase",
            title="Vase",
            price_minor=2500,
            status="listed",
            variants=[ProductVariant(name="Standard", price_minor=2500, stock=UNITS)],
        )
        s.add(product)
        await s.flush()
        for buyer in range(BUYERS):
            cart = Cart(anon_token=f"{tag}-buyer-{buyer}")
            s.add(cart)
            await s.flush()
            s.add(
                CartLine(
                    cart_id=cart.id,
                    product_id=product.id,
                    variant_id=product.variants[0].id,
                    quantity=1,
                )
            )
        return product, product.stall_id


async def _checkout(units: Units, tag: str, buyer: int, stall_id: int) -> Order | str:
    try:
        async with units() as uow:
            return await place_order(
                uow.session,
                owner=CartOwner(None, f"{tag}-buyer-{buyer}"),
                contact=Contact(f"buyer{buyer}@example.test", f"Buyer {buyer}"),
                choices={stall_id: FulfilmentChoice(stall_id, "pickup")},
                notes="",
                hold_minutes=15,
            )
    except SoldOut as exc:
        return str(exc)


async def test_twenty_buyers_for_three_units_give_three_paid_orders(
    committed: tuple[async_sessionmaker[AsyncSession], Units, Settings],
    sumup_stand_in: SumUpStandIn,
) -> None:
    sessions, units, settings = committed
    product, stall_id = await _shop(sessions, "last3")

    outcomes = await asyncio.gather(
        *(_checkout(units, "last3", b, stall_id) for b in range(BUYERS))
    )

    orders = [o for o in outcomes if isinstance(o, Order)]
    refused = [o for o in outcomes if isinstance(o, str)]
    assert len(orders) == UNITS and len(refused) == BUYERS - UNITS
    assert all(text.startswith("Sold out: Vase") for text in refused)
    client = SumUpClient(settings.sumup)
    try:
        for order in orders:
            url = await start_payment(units, client, settings, order.id, URLS)
            sumup_stand_in.complete(url.rsplit("/", 1)[1], pay=True)
            await settle(units, client, settings, url.rsplit("/", 1)[1], source="return")
    finally:
        await client.aclose()
    async with sessions() as s:
        paid = await s.scalar(
            select(func.count()).where(
                Order.status == OrderStatus.PAID, Order.id.in_([o.id for o in orders])
            )
        )
        assert paid == UNITS
        assert (
            await s.scalar(
                select(ProductVariant.stock).where(ProductVariant.product_id == product.id)
            )
            == 0
        )


async def test_ten_webhooks_and_the_return_make_one_paid_transition_and_one_mail(
    committed: tuple[async_sessionmaker[AsyncSession], Units, Settings],
    sumup_stand_in: SumUpStandIn,
) -> None:
    sessions, units, settings = committed
    _, stall_id = await _shop(sessions, "once")
    order = await _checkout(units, "once", 0, stall_id)
    assert isinstance(order, Order)
    client = SumUpClient(settings.sumup)
    try:
        url = await start_payment(units, client, settings, order.id, URLS)
        checkout_id = url.rsplit("/", 1)[1]
        sumup_stand_in.complete(checkout_id, pay=True)
        sources = ["webhook"] * 10 + ["return"]
        await asyncio.gather(
            *(settle(units, client, settings, checkout_id, source=s) for s in sources)
        )
    finally:
        await client.aclose()
    async with sessions() as s:
        assert (await s.get(Order, order.id)).status == "paid"  # type: ignore[union-attr]
        seen = await s.scalar(select(func.count()).select_from(PaymentEvent))
        assert seen is not None and seen >= 11
        mails = (
            await s.scalars(
                select(Job.payload).where(
                    Job.kind == SEND_MAIL, Job.key == f"order-mail:{order.id}:payment_confirmed"
                )
            )
        ).all()
        assert len(mails) == 1
        # The mail's job key would fold duplicates: the stock shows the transition ran once.
        stock = await s.scalar(
            select(ProductVariant.stock)
            .join(Product, Product.id == ProductVariant.product_id)
            .where(Product.stall_id == stall_id)
        )
        assert stock == UNITS - 1


async def test_one_checkout_form_sent_five_times_at_once_places_one_order(
    committed: tuple[async_sessionmaker[AsyncSession], Units, Settings],
) -> None:
    sessions, units, _ = committed
    _, stall_id = await _shop(sessions, "twice")
    attempt = new_attempt()

    async def send() -> str:
        try:
            async with units() as uow:
                order = await place_order(
                    uow.session,
                    owner=CartOwner(None, "twice-buyer-0"),
                    contact=Contact("twice@example.test", "Twice"),
                    choices={stall_id: FulfilmentChoice(stall_id, "pickup")},
                    notes="",
                    hold_minutes=15,
                    attempt=attempt,
                )
                return f"placed {order.number}"
        except AlreadyPlaced as placed:
            return f"found {placed.order.number}"

    outcomes = await asyncio.gather(*(send() for _ in range(5)))

    async with sessions() as s:
        numbers = (
            await s.scalars(select(Order.number).where(Order.email == "twice@example.test"))
        ).all()
    assert len(numbers) == 1
    assert sorted(outcomes) == [f"found {numbers[0]}"] * 4 + [f"placed {numbers[0]}"]
