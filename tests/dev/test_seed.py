"""Demo data loads once into an empty database and fills every home page."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.dev.seed import seed
from shared.infrastructure.config import APP_NAMES, Settings
from shared.models.activitypub import Actor
from shared.models.blog import Post
from shared.models.identity import User
from tests.conftest import ClientFactory


async def test_seed_loads_into_an_empty_database_only_once(
    db: AsyncSession, settings: Settings
) -> None:
    assert await seed(db, settings) is True
    members = await db.scalar(select(func.count(User.id)))
    posts = await db.scalar(select(func.count(Post.id)))

    assert await seed(db, settings) is False
    assert await db.scalar(select(func.count(User.id))) == members == 3
    assert await db.scalar(select(func.count(Post.id))) == posts


async def test_seeded_home_pages_show_demo_content(
    db: AsyncSession, settings: Settings, client_for: ClientFactory
) -> None:
    await seed(db, settings)
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


async def test_seeded_members_and_apps_have_their_actors_with_keys(
    db: AsyncSession, settings: Settings
) -> None:
    await seed(db, settings)
    actors = list(await db.scalars(select(Actor)))
    members = {a.preferred_username: a for a in actors if a.kind == "member"}
    assert sorted(members) == ["ada", "ben", "cleo"]
    assert all(a.public_key_pem and a.key_id for a in members.values())
    assert {a.app_name for a in actors if a.kind == "app"} == {*APP_NAMES, "instance"}
