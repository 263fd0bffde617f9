"""Domain writes drop the fragments they change: an event beside the write, dropped after commit."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from redis.asyncio import Redis
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts.dtos import NewCartLine, NewNavigationItem
from shared.contracts.events import (
    CartChanged,
    NavigationChanged,
    ProductUpdated,
    record,
    recorded,
)
from shared.contracts.widgets import cart_changed, scope_of
from shared.infrastructure.config import DEFAULT_CONFIG_PATH, ConfigError, Settings, load_settings
from shared.infrastructure.fragment_cache import FragmentCache
from shared.infrastructure.uow import UnitOfWork
from shared.models.cart import CartLine
from shared.services.blog import SqlBlogService
from shared.services.cart import SqlCartService
from shared.services.events import SqlEventsService
from shared.services.handlers import event_handlers
from shared.services.registry import wire_services
from tests.support.factories import make_calendar, make_event, make_product, make_stall, now


@pytest.fixture
def cache(redis: Redis) -> FragmentCache:
    return FragmentCache(redis, keep_stale=60, timeout=1.0)


async def generation(redis: Redis, app: str, type_: str, scope: str) -> int:
    return int(await redis.get(f"frag:v1:gen:{app}:{type_}:{scope}") or 0)


def unit(db: AsyncSession, cache: FragmentCache) -> UnitOfWork:
    return UnitOfWork(db, handlers=event_handlers(), fragments=cache)


async def test_adding_to_a_cart_records_that_cart_s_change(db: AsyncSession) -> None:
    product = await make_product(db, await make_stall(db, "Stall"), "Mug", 1800)
    await SqlCartService().add_to_cart(
        db, user_id=None, anon_token="t" * 40, line=NewCartLine(quantity=1, product_id=product.id)
    )
    assert recorded(db) == (CartChanged(user_id=None, anon_token="t" * 40),)


async def test_adding_to_a_cart_drops_that_cart_s_mini_cart_after_commit(
    db: AsyncSession, cache: FragmentCache, redis: Redis
) -> None:
    product = await make_product(db, await make_stall(db, "Stall"), "Mug", 1800)
    scope = cart_changed(user_id=None, anon_token="t" * 40)
    async with unit(db, cache) as uow:
        await SqlCartService().add_to_cart(
            uow.session,
            user_id=None,
            anon_token="t" * 40,
            line=NewCartLine(quantity=1, product_id=product.id),
        )
        assert await generation(redis, "cart", "mini-cart", scope.scope) == 0
    assert await generation(redis, "cart", "mini-cart", scope.scope) == 1


async def test_editing_the_menu_records_a_navigation_change(db: AsyncSession) -> None:
    await SqlBlogService().create_navigation_item(db, NewNavigationItem(label="A", url="/a/"))
    assert recorded(db) == (NavigationChanged("primary"),)


async def test_publishing_an_event_invalidates_upcoming_events_after_commit(
    db: AsyncSession, cache: FragmentCache, redis: Redis, settings: Settings
) -> None:
    wire_services(settings)  # its federation handler reaches ActivityPub through the registry
    event = await make_event(
        db, await make_calendar(db), "Seed swap", now() + timedelta(days=1), status="draft"
    )
    async with unit(db, cache) as uow:
        assert await SqlEventsService().publish_event(uow.session, event.id)
        assert await generation(redis, "events", "upcoming-events", "all") == 0  # not before

    assert await generation(redis, "events", "upcoming-events", "all") == 1
    assert await generation(redis, "events", "event-card", "all") == 1  # posts' event cards
    assert recorded(db) == ()
    assert not await SqlEventsService().publish_event(db, 999_999)


async def test_a_failed_commit_invalidates_nothing(
    db: AsyncSession, cache: FragmentCache, redis: Redis
) -> None:
    with pytest.raises(IntegrityError):
        async with unit(db, cache) as uow:
            uow.record(NavigationChanged("primary"))
            db.add(CartLine(cart_id=999_999, product_id=999_999, quantity=1))  # no such cart
    assert await generation(redis, "blog", "nav", "all") == 0
    assert recorded(db) == ()


async def test_invalidation_with_redis_down_is_logged_not_raised(
    caplog: pytest.LogCaptureFixture,
) -> None:
    from shared.dev.embedded import free_port

    dead = Redis.from_url(f"redis://127.0.0.1:{free_port()}/0")
    try:
        await FragmentCache(dead, keep_stale=60, timeout=0.5).invalidate([scope_of("nav")])
    finally:
        await dead.aclose()
    assert "could not invalidate nav/all" in caplog.text


def test_fragment_ttls_name_known_types(tmp_path: Path) -> None:
    shipped = yaml.safe_load(DEFAULT_CONFIG_PATH.read_text())
    shipped["fragments"]["ttl"]["weather"] = 10
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump(shipped))
    env = {
        "DATABASE_URL": "postgresql://x/y",
        "REDIS_URL": "redis://x",
        "SECRET_KEY": "k" * 40,
        "ROSE_ASH_ENV": "test",
    }
    with pytest.raises(ConfigError, match="unknown fragment types weather"):
        load_settings(env, config)


def test_the_shipped_config_sets_a_ttl_for_every_fragment_type() -> None:
    from shared.contracts.widgets import FRAGMENT_TYPES

    env = {
        "DATABASE_URL": "postgresql://x/y",
        "REDIS_URL": "redis://x",
        "SECRET_KEY": "k" * 40,
        "ROSE_ASH_ENV": "test",
    }
    settings = load_settings(env).fragments
    assert set(settings.ttl) == set(FRAGMENT_TYPES)
    assert settings.page_budget >= settings.timeout


async def test_a_product_change_drops_the_posts_product_cards_after_commit(
    db: AsyncSession, cache: FragmentCache, redis: Redis, settings: Settings
) -> None:
    wire_services(settings)  # its federation handler reaches ActivityPub through the registry
    product = await make_product(db, await make_stall(db, "Marsh Honey"), "Honey", 850)
    async with unit(db, cache) as uow:
        record(uow.session, ProductUpdated(product.id))
        assert await generation(redis, "market", "product-card", "all") == 0  # not before

    assert await generation(redis, "market", "product-card", "all") == 1
