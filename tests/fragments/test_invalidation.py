"""Domain writes drop the fragments they change: marked beside the write, dropped after commit."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from redis.asyncio import Redis
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts.dtos import NewCartLine, NewNavigationItem
from shared.contracts.widgets import cart_changed, scope_of
from shared.infrastructure.config import DEFAULT_CONFIG_PATH, ConfigError, Settings, load_settings
from shared.infrastructure.fragment_cache import (
    FragmentCache,
    commit_and_invalidate,
    mark_changed,
    pending_changes,
)
from shared.models.cart import CartLine
from shared.services.activitypub import SqlActivityPubService
from shared.services.blog import SqlBlogService
from shared.services.cart import SqlCartService
from shared.services.events import SqlEventsService
from tests.support.factories import make_calendar, make_event, make_product, make_stall, now


@pytest.fixture
def cache(redis: Redis) -> FragmentCache:
    return FragmentCache(redis, keep_stale=60, timeout=1.0)


async def generation(redis: Redis, app: str, type_: str, scope: str) -> int:
    return int(await redis.get(f"frag:v1:gen:{app}:{type_}:{scope}") or 0)


async def test_adding_to_a_cart_marks_that_cart_s_mini_cart(db: AsyncSession) -> None:
    product = await make_product(db, await make_stall(db, "Stall"), "Mug", 1800)
    await SqlCartService().add_to_cart(
        db, user_id=None, anon_token="t" * 40, line=NewCartLine(quantity=1, product_id=product.id)
    )
    assert pending_changes(db) == {cart_changed(user_id=None, anon_token="t" * 40)}


async def test_editing_the_menu_marks_the_nav(db: AsyncSession) -> None:
    await SqlBlogService().create_navigation_item(db, NewNavigationItem(label="A", url="/a/"))
    assert pending_changes(db) == {scope_of("nav")}


async def test_publishing_an_event_marks_upcoming_events_and_invalidates_after_commit(
    db: AsyncSession, cache: FragmentCache, redis: Redis, settings: Settings
) -> None:
    events = SqlEventsService(SqlActivityPubService(settings))
    event = await make_event(
        db, await make_calendar(db), "Seed swap", now() + timedelta(days=1), status="draft"
    )
    assert await events.publish_event(db, event.id)
    assert await generation(redis, "events", "upcoming-events", "all") == 0  # not before commit

    await commit_and_invalidate(db, cache)

    assert await generation(redis, "events", "upcoming-events", "all") == 1
    assert pending_changes(db) == frozenset()
    assert not await events.publish_event(db, 999_999)


async def test_a_failed_commit_invalidates_nothing(
    db: AsyncSession, cache: FragmentCache, redis: Redis
) -> None:
    mark_changed(db, scope_of("nav"))
    db.add(CartLine(cart_id=999_999, product_id=999_999, quantity=1))  # no such cart
    with pytest.raises(IntegrityError):
        await commit_and_invalidate(db, cache)
    await db.rollback()
    assert await generation(redis, "blog", "nav", "all") == 0


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
