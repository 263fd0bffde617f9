"""Demo data loads once into an empty database and fills every home page."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.dev.seed import seed
from shared.models.blog import Post
from shared.models.identity import User
from tests.conftest import ClientFactory

FEDERATION = "http://federation.localhost:8005"


async def test_seed_loads_into_an_empty_database_only_once(db: AsyncSession) -> None:
    assert await seed(db, FEDERATION) is True
    members = await db.scalar(select(func.count(User.id)))
    posts = await db.scalar(select(func.count(Post.id)))

    assert await seed(db, FEDERATION) is False
    assert await db.scalar(select(func.count(User.id))) == members == 3
    assert await db.scalar(select(func.count(Post.id))) == posts


async def test_seeded_home_pages_show_demo_content(
    db: AsyncSession, client_for: ClientFactory
) -> None:
    await seed(db, FEDERATION)
    await db.flush()
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


async def test_demo_posts_read_like_posts(db: AsyncSession) -> None:
    await seed(db, FEDERATION)
    posts = (await db.scalars(select(Post).where(Post.status == "published"))).all()
    assert len(posts) >= 5
    for post in posts:
        html = post.html or ""
        assert html.count("<p>") >= 3, post.slug
        assert "<h2>" in html, post.slug
        if post.type == "post":
            assert "<li>" in html and "<blockquote>" in html, post.slug
            assert (post.excerpt or "") not in html, post.slug  # not the excerpt repeated
