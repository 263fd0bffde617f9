"""Demo data loads once into an empty database and fills every home page."""

from __future__ import annotations

from datetime import UTC, datetime

from redis.asyncio import Redis
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts.media import StoredImage
from shared.dev.seed import seed
from shared.infrastructure.config import APP_NAMES, Settings
from shared.models.activitypub import Actor
from shared.models.blog import Post
from shared.models.identity import User
from shared.models.market import Product, Stall
from shared.services.registry import services
from tests.conftest import ClientFactory
from tests.support.units import unit_of_work


async def seeded(
    db: AsyncSession, settings: Settings, redis: Redis, with_media: bool = False
) -> bool:
    """Seed as `python -m shared.dev.seed` does: in a unit of work, so handlers run."""
    async with unit_of_work(db, settings, redis) as uow:
        return await seed(uow, settings, settings.media if with_media else None)


async def test_seed_loads_into_an_empty_database_only_once(
    db: AsyncSession, settings: Settings, redis: Redis
) -> None:
    assert await seeded(db, settings, redis) is True
    members = await db.scalar(select(func.count(User.id)))
    posts = await db.scalar(select(func.count(Post.id)))

    assert await seeded(db, settings, redis) is False
    assert await db.scalar(select(func.count(User.id))) == members == 3
    assert await db.scalar(select(func.count(Post.id))) == posts


async def test_seeded_home_pages_show_demo_content(
    db: AsyncSession, settings: Settings, client_for: ClientFactory, redis: Redis
) -> None:
    await seeded(db, settings, redis)
    expected = {
        "blog": "Welcome to Rose Ash",
        "market": "Stoneware mug",
        "events": "Winter market and lantern walk",
        "federation": "Bees are clustered for the winter",
        "account": "The Weekly Ash",
    }
    for app, text in expected.items():
        client = await client_for(app)
        response = await client.get("/")
        assert response.status_code == 200, app
        assert text in await response.get_data(as_text=True), app


async def test_seeded_members_and_apps_have_their_actors_with_keys(
    db: AsyncSession, settings: Settings, redis: Redis
) -> None:
    await seeded(db, settings, redis)
    actors = list(await db.scalars(select(Actor)))
    members = {a.preferred_username: a for a in actors if a.kind == "member"}
    assert sorted(members) == ["ada", "ben", "cleo"]
    assert all(a.public_key_pem and a.key_id for a in members.values())
    assert {a.app_name for a in actors if a.kind == "app"} == {*APP_NAMES, "instance"}


async def test_seeded_products_and_posts_show_stored_photos_with_srcset(
    db: AsyncSession, client_for: ClientFactory, settings: Settings, redis: Redis
) -> None:
    await seeded(db, settings, redis, with_media=True)

    products = (await db.scalars(select(Product))).all()
    assert products and all(product.images for product in products)
    for product in products:
        image = StoredImage.from_url(product.images[0].url)
        assert image is not None, product.slug
        assert product.images[0].alt
    posts = (await db.scalars(select(Post).where(Post.status == "published"))).all()
    assert any(StoredImage.from_url(post.feature_image) for post in posts)
    stalls = (await db.scalars(select(Stall))).all()
    assert stalls and all(StoredImage.from_url(stall.image_url or "") for stall in stalls)
    assert all(stall.image_alt for stall in stalls)
    market = await (await (await client_for("market")).get("/")).get_data(as_text=True)
    assert market.count('class="stall-card__photo"') == len(stalls)
    assert "stall-card__initial" not in market

    for app in ("market", "blog"):
        client = await client_for(app)
        html = await (await client.get("/")).get_data(as_text=True)
        assert "<img srcset=" in html, app
        assert 'type="image/webp"' in html, app
        # Every image the page names is served by the page's own app.
        src = next(
            part.split('"', 1)[0] for part in html.split('src="')[1:] if part.startswith("/media/")
        )
        response = await client.get(src)
        assert response.status_code == 200
        assert response.headers["Content-Type"] in ("image/jpeg", "image/png")


async def test_demo_posts_read_like_posts(
    db: AsyncSession, settings: Settings, redis: Redis
) -> None:
    await seeded(db, settings, redis)
    posts = (await db.scalars(select(Post).where(Post.status == "published"))).all()
    assert len(posts) >= 5
    for post in posts:
        html = post.html or ""
        assert html.count("<p>") >= 3, post.slug
        assert "<h2>" in html, post.slug
        if post.type == "post":
            assert "<li>" in html and "<blockquote>" in html, post.slug
            assert (post.excerpt or "") not in html, post.slug  # not the excerpt repeated


async def test_ben_holds_two_lantern_walk_tickets_issued_by_the_events_domain(
    db: AsyncSession, settings: Settings, redis: Redis
) -> None:
    await seeded(db, settings, redis)
    ben = await db.scalar(select(User).where(User.username == "ben"))
    assert ben is not None
    tickets = await services.events.list_member_tickets(db, ben.id, now=datetime.now(UTC))
    assert [(t.event_title, t.ticket_type_name) for t in tickets] == [
        ("Winter market and lantern walk", "Lantern walk")
    ] * 2
    orders = await services.cart.list_member_orders(db, ben.id)
    assert [(o.number, o.status) for o in orders] == [("DEMO-LW2T", "paid")]
