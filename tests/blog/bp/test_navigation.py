"""Blog's navigation admin: admins manage the menu, and every app's nav changes at once."""

from __future__ import annotations

import re

import pytest
from quart import Quart
from quart.typing import TestClientProtocol as Client
from redis.asyncio import Redis
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts.dtos import UserRecord
from shared.infrastructure.viewer import set_viewer
from shared.models.blog import NavigationItem
from tests.conftest import AppFactory
from tests.support.factories import add

ADMIN = UserRecord(id=1, username="ada", display_name="Ada", email="a@x.test", is_admin=True)
MEMBER = UserRecord(id=2, username="ben", display_name="Ben", email="b@x.test", is_admin=False)


async def blog_as(make_app: AppFactory, viewer: UserRecord | None) -> Quart:
    app = await make_app("blog")

    @app.before_request
    async def sign_in() -> None:  # what single sign-on does for a member
        set_viewer(viewer)

    return app


async def csrf(client: Client) -> str:
    html = await (await client.get("/admin/navigation/")).get_data(as_text=True)
    found = re.search(r'name="csrf_token" value="([0-9a-f]+)"', html)
    assert found
    return found.group(1)


async def labels(db: AsyncSession, menu: str = "primary") -> list[str]:
    # Columns, not objects: the test's session would show its own stale copies.
    rows = await db.scalars(
        select(NavigationItem.label)
        .where(NavigationItem.menu == menu)
        .order_by(NavigationItem.position, NavigationItem.id)
    )
    return list(rows)


async def nav_generation(redis: Redis) -> int:
    return int(await redis.get("frag:v1:gen:blog:nav:all") or 0)


@pytest.fixture
async def menu(db: AsyncSession) -> list[NavigationItem]:
    items = [
        NavigationItem(label="Home", url="/", position=0),
        NavigationItem(label="About", url="/about/", position=1),
        NavigationItem(label="Shop", url="https://shop.example/", position=2),
    ]
    await add(db, *items)
    return items


@pytest.mark.parametrize("viewer", [None, MEMBER])
async def test_only_admins_get_in(make_app: AppFactory, viewer: UserRecord | None) -> None:
    client = (await blog_as(make_app, viewer)).test_client()
    assert (await client.get("/admin/navigation/")).status_code == 403
    response = await client.post("/admin/navigation/", form={"label": "x", "url": "/x/"})
    assert response.status_code in (400, 403)  # no CSRF token either way


async def test_an_admin_sees_both_menus(make_app: AppFactory, menu: list[NavigationItem]) -> None:
    client = (await blog_as(make_app, ADMIN)).test_client()
    html = await (await client.get("/admin/navigation/")).get_data(as_text=True)
    assert html.index(">Home<") < html.index(">About<") < html.index(">Shop<")
    assert "Primary menu" in html and "Secondary menu" in html


async def test_an_admin_adds_a_link_and_every_nav_is_invalidated(
    make_app: AppFactory, db: AsyncSession, redis: Redis, menu: list[NavigationItem]
) -> None:
    client = (await blog_as(make_app, ADMIN)).test_client()
    token = await csrf(client)
    response = await client.post(
        "/admin/navigation/",
        form={"csrf_token": token, "label": " Events ", "url": "/events/", "menu": "primary"},
    )
    assert response.status_code == 303 and response.headers["Location"] == "/admin/navigation/"
    assert await labels(db) == ["Home", "About", "Shop", "Events"]
    assert await nav_generation(redis) == 1


async def test_a_form_without_the_csrf_token_is_refused(
    make_app: AppFactory, db: AsyncSession, menu: list[NavigationItem]
) -> None:
    client = (await blog_as(make_app, ADMIN)).test_client()
    await csrf(client)  # the browser has the cookie, the form lacks the token
    response = await client.post("/admin/navigation/", form={"label": "X", "url": "/x/"})
    assert response.status_code == 400
    assert await labels(db) == ["Home", "About", "Shop"]


@pytest.mark.parametrize(
    ("label", "url", "message"),
    [
        ("", "/x/", "Give the link a label."),
        ("Evil", "javascript:alert(1)", "Use a path on the blog"),
        ("Evil", "//evil.example/", "Use a path on the blog"),
        ("Plain", "http://shop.example/", "must use https://, not http://"),
        ("x" * 33, "/x/", "Keep the label to 32 characters or fewer"),
    ],
)
async def test_an_unusable_link_is_explained(
    make_app: AppFactory,
    db: AsyncSession,
    redis: Redis,
    menu: list[NavigationItem],
    label: str,
    url: str,
    message: str,
) -> None:
    client = (await blog_as(make_app, ADMIN)).test_client()
    form = {"csrf_token": await csrf(client), "label": label, "url": url}
    response = await client.post("/admin/navigation/", form=form)
    assert response.status_code == 400
    assert message in await response.get_data(as_text=True)
    assert await labels(db) == ["Home", "About", "Shop"]
    assert await nav_generation(redis) == 0


async def test_an_admin_edits_a_link(
    make_app: AppFactory, db: AsyncSession, menu: list[NavigationItem]
) -> None:
    client = (await blog_as(make_app, ADMIN)).test_client()
    about = menu[1]
    form_page = await (await client.get(f"/admin/navigation/{about.id}/")).get_data(as_text=True)
    assert 'value="/about/"' in form_page
    form = {"csrf_token": await csrf(client), "label": "Who we are", "url": "/about/"}
    response = await client.post(f"/admin/navigation/{about.id}/", form=form)
    assert response.status_code == 303
    assert await labels(db) == ["Home", "Who we are", "Shop"]


async def test_moving_a_link_to_the_footer_menu_puts_it_last_there(
    make_app: AppFactory, db: AsyncSession, menu: list[NavigationItem]
) -> None:
    await add(db, NavigationItem(label="Legal", url="/legal/", menu="secondary", position=0))
    client = (await blog_as(make_app, ADMIN)).test_client()
    form = {"csrf_token": await csrf(client), "label": "Home", "url": "/", "menu": "secondary"}
    await client.post(f"/admin/navigation/{menu[0].id}/", form=form)
    assert await labels(db, "secondary") == ["Legal", "Home"]
    assert await labels(db) == ["About", "Shop"]


async def test_an_admin_reorders_and_deletes_links(
    make_app: AppFactory, db: AsyncSession, redis: Redis, menu: list[NavigationItem]
) -> None:
    client = (await blog_as(make_app, ADMIN)).test_client()
    token = await csrf(client)
    home, _about, shop = menu

    await client.post(
        f"/admin/navigation/{shop.id}/move", form={"csrf_token": token, "direction": "up"}
    )
    assert await labels(db) == ["Home", "Shop", "About"]
    await client.post(
        f"/admin/navigation/{home.id}/move", form={"csrf_token": token, "direction": "down"}
    )
    assert await labels(db) == ["Shop", "Home", "About"]
    await client.post(f"/admin/navigation/{home.id}/delete", form={"csrf_token": token})
    assert await labels(db) == ["Shop", "About"]
    positions = await db.scalars(select(NavigationItem.position).order_by(NavigationItem.position))
    assert positions.all() == [0, 1]
    assert await nav_generation(redis) == 3


async def test_unknown_links_are_404(make_app: AppFactory) -> None:
    client = (await blog_as(make_app, ADMIN)).test_client()
    token = await csrf(client)
    assert (await client.get("/admin/navigation/999/")).status_code == 404
    response = await client.post("/admin/navigation/999/delete", form={"csrf_token": token})
    assert response.status_code == 404
