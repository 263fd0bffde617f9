"""The dashboard's cards as their owning apps serve them (orders from cart, tickets and
bookings from events, stalls from market, notifications from federation) for the signed
viewer, and dropped from the cache when they change."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from redis.asyncio import Redis
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.contracts.market import NewStall
from shared.contracts.widgets import FragmentViewer, scope_of
from shared.infrastructure.config import Settings
from shared.infrastructure.fragment_cache import FragmentCache
from shared.infrastructure.internal import InternalAuth
from shared.infrastructure.uow import UnitOfWork
from shared.models.activitypub import Notification
from shared.models.events import Ticket, TicketType
from shared.models.market import StallHelper
from shared.services.events.tickets import CheckIn, check_in
from shared.services.handlers import event_handlers
from shared.services.registry import services, wire_services
from tests.account.bp.test_preferences import member_in
from tests.account.member_data import give_things
from tests.conftest import TEST_SECRET_KEY, AppFactory
from tests.support.factories import make_member_actor, make_product, make_stall, make_user

AUTH = InternalAuth.from_secret(TEST_SECRET_KEY)


async def fragment(
    make_app: AppFactory, settings: Settings, app: str, type_: str, user_id: int | None
) -> str:
    client = (await make_app(app, app_settings=settings, bind=False)).test_client()
    viewer = FragmentViewer(user_id=user_id)
    response = await client.get(
        f"/internal/fragments/{type_}?limit=5", headers=AUTH.headers(viewer)
    )
    assert response.status_code == 200
    return await response.get_data(as_text=True)


async def test_cart_serves_the_members_orders_card_with_links_to_account(
    make_app: AppFactory, mail_settings: Settings, committed: async_sessionmaker[AsyncSession]
) -> None:
    ada = await member_in(committed, "card_ada")
    bo = await member_in(committed, "card_bo")
    mine = await give_things(committed, ada.id, "Ada's")
    theirs = await give_things(committed, bo.id, "Bo's")
    account = mail_settings.apps["account"].base_url
    html = await fragment(make_app, mail_settings, "cart", "member-orders", ada.id)
    assert f'href="{account}/orders/{mine.pending_order_id}"' in html
    assert f'href="{account}/orders/"' in html and "Pay now" in html and "£9.00" in html
    assert theirs.pending_number not in html
    nobody = await member_in(committed, "card_nobody")
    empty = await fragment(make_app, mail_settings, "cart", "member-orders", nobody.id)
    assert "You have not ordered anything yet" in empty


async def test_events_serves_the_members_tickets_and_bookings_cards(
    make_app: AppFactory, mail_settings: Settings, committed: async_sessionmaker[AsyncSession]
) -> None:
    ada = await member_in(committed, "cards_ada")
    bo = await member_in(committed, "cards_bo")
    mine = await give_things(committed, ada.id, "Ada's")
    theirs = await give_things(committed, bo.id, "Bo's")
    tickets = await fragment(make_app, mail_settings, "events", "member-tickets", ada.id)
    assert f"/tickets/{mine.ticket_code}/" in tickets and theirs.ticket_code not in tickets
    bookings = await fragment(make_app, mail_settings, "events", "member-bookings", ada.id)
    assert "Ada&#39;s lantern walk" in bookings and "booked" in bookings
    assert "Bo&#39;s" not in bookings
    for type_ in ("member-tickets", "member-bookings"):
        empty = await fragment(make_app, mail_settings, "events", type_, None)
        assert "No " in empty and "for coming events" in empty


async def test_a_bad_limit_is_a_400_naming_it(
    make_app: AppFactory, mail_settings: Settings
) -> None:
    client = (await make_app("events", app_settings=mail_settings, bind=False)).test_client()
    response = await client.get(
        "/internal/fragments/member-tickets?limit=lots",
        headers=AUTH.headers(FragmentViewer(user_id=1)),
    )
    assert response.status_code == 400
    assert "limit must be a whole number" in await response.get_data(as_text=True)


@pytest.fixture
def cache(redis: Redis) -> FragmentCache:
    return FragmentCache(redis, keep_stale=60, timeout=1.0)


async def generation(redis: Redis, type_: str, user_id: int) -> int:
    scope = scope_of(type_, FragmentViewer(user_id=user_id))
    return int(await redis.get(f"frag:v1:gen:{scope.app}:{type_}:{scope.scope}") or 0)


async def test_cancelling_drops_the_members_cards_after_commit_and_nobody_elses(
    mail_settings: Settings,
    committed: async_sessionmaker[AsyncSession],
    cache: FragmentCache,
    redis: Redis,
) -> None:
    wire_services(mail_settings)
    ada = await member_in(committed, "cache_ada")
    bo = await member_in(committed, "cache_bo")
    mine = await give_things(committed, ada.id, "Ada's")
    before = {
        (type_, who): await generation(redis, type_, who)
        for type_ in ("member-orders", "member-tickets", "member-bookings")
        for who in (ada.id, bo.id)
    }
    async with committed() as session:
        async with UnitOfWork(session, handlers=event_handlers(), fragments=cache) as uow:
            await services.cart.cancel_member_order(uow.session, ada.id, mine.pending_order_id)
            assert (
                await generation(redis, "member-orders", ada.id) == before["member-orders", ada.id]
            )
        async with UnitOfWork(session, handlers=event_handlers(), fragments=cache) as uow:
            await services.events.cancel_member_booking(
                uow.session, ada.id, mine.booking_id, base_url="http://events.test"
            )
    for type_ in ("member-orders", "member-tickets", "member-bookings"):
        assert await generation(redis, type_, ada.id) == before[type_, ada.id] + 1
        assert await generation(redis, type_, bo.id) == before[type_, bo.id]


async def test_market_serves_the_stalls_a_member_runs_and_nothing_to_one_who_runs_none(
    make_app: AppFactory, mail_settings: Settings, committed: async_sessionmaker[AsyncSession]
) -> None:
    async with committed() as session, session.begin():
        ada = await make_user(session, "stalls_ada")
        helper = await make_user(session, "stalls_helper")
        bystander = await make_user(session, "stalls_bystander")
        pottery = await make_stall(session, "Ada's Pottery", ada)
        await make_product(session, pottery, "Jug", 1200)
        await make_product(session, pottery, "Bowl", 900)
        session.add(StallHelper(stall_id=pottery.id, user_id=helper.id))
        await make_stall(session, "Someone Else's Honey")
    market = mail_settings.apps["market"].base_url
    for who in (ada, helper):
        html = await fragment(make_app, mail_settings, "market", "member-stalls", who.id)
        assert "Ada&#39;s Pottery: 2 products" in html
        assert f'href="{market}/stalls/{pottery.slug}/manage/"' in html
        assert "Someone Else" not in html
    assert await fragment(make_app, mail_settings, "market", "member-stalls", bystander.id) == ""
    assert await fragment(make_app, mail_settings, "market", "member-stalls", None) == ""


async def test_federation_serves_the_members_newest_notifications_only(
    make_app: AppFactory, mail_settings: Settings, committed: async_sessionmaker[AsyncSession]
) -> None:
    async with committed() as session, session.begin():
        ada = await make_user(session, "notes_ada")
        bo = await make_user(session, "notes_bo", display_name="Bo Follower")
        cy = await make_user(session, "notes_cy")
        bo_actor = await make_member_actor(session, bo)
        session.add(Notification(user_id=ada.id, kind="follow", actor_id=bo_actor.id))
        session.add(Notification(user_id=cy.id, kind="like", actor_id=bo_actor.id))
    html = await fragment(make_app, mail_settings, "federation", "member-notifications", ada.id)
    assert '<li class="unread">Bo Follower followed you, ' in html
    assert "liked your post" not in html  # Cy's, not Ada's
    empty = await fragment(make_app, mail_settings, "federation", "member-notifications", bo.id)
    assert "Nothing new from the fediverse." in empty


async def test_a_ticket_checked_in_at_the_door_drops_its_holders_tickets_card(
    mail_settings: Settings,
    committed: async_sessionmaker[AsyncSession],
    cache: FragmentCache,
    redis: Redis,
) -> None:
    ada = await member_in(committed, "door_ada")
    mine = await give_things(committed, ada.id, "Ada's")
    async with committed() as session:
        event_id = await session.scalar(
            select(TicketType.event_id)
            .join(Ticket, Ticket.ticket_type_id == TicketType.id)
            .where(Ticket.code == mine.ticket_code)
        )
    assert event_id is not None
    before = await generation(redis, "member-tickets", ada.id)
    async with committed() as session:
        async with UnitOfWork(session, handlers=event_handlers(), fragments=cache) as uow:
            result, _ = await check_in(uow.session, event_id, mine.ticket_code, datetime.now(UTC))
        assert result == CheckIn.VALID
        async with UnitOfWork(session, handlers=event_handlers(), fragments=cache) as uow:
            again, _ = await check_in(uow.session, event_id, mine.ticket_code, datetime.now(UTC))
        assert again == CheckIn.ALREADY_USED  # nothing changed: the card is kept
    assert await generation(redis, "member-tickets", ada.id) == before + 1


async def test_a_stall_applied_for_edited_reviewed_or_helped_drops_its_managers_cards(
    mail_settings: Settings,
    committed: async_sessionmaker[AsyncSession],
    cache: FragmentCache,
    redis: Redis,
) -> None:
    wire_services(mail_settings)
    ada = await member_in(committed, "stallcard_ada")
    hal = await member_in(committed, "stallcard_hal")
    bo = await member_in(committed, "stallcard_bo")

    async def cards() -> dict[int, int]:
        return {who.id: await generation(redis, "member-stalls", who.id) for who in (ada, hal, bo)}

    async with committed() as session:
        steps = [
            lambda s: services.market.apply_for_stall(s, ada.id, NewStall("Ada's Jam", "ada-jam")),
            lambda s: services.market.add_stall_helper(s, stall_id(), "stallcard_hal"),
            lambda s: services.market.update_stall(
                s, stall_id(), NewStall("Ada's Jams", "ada-jam", description="Plum")
            ),
            lambda s: services.market.review_stall(s, stall_id(), approve=False),
            lambda s: services.market.remove_stall_helper(s, stall_id(), hal.id),
        ]
        expected = [{ada.id}, {ada.id, hal.id}, {ada.id, hal.id}, {ada.id, hal.id}]
        expected.append({ada.id, hal.id})  # the removed helper's card loses the stall
        made: list[int] = []

        def stall_id() -> int:
            return made[0]

        for step, dropped in zip(steps, expected, strict=True):
            before = await cards()
            async with UnitOfWork(session, handlers=event_handlers(), fragments=cache) as uow:
                result = await step(uow.session)
                if result is not None and not made:
                    made.append(result.id)
            after = await cards()
            assert {who for who in after if after[who] > before[who]} == dropped
