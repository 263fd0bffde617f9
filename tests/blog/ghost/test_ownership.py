"""A post that came from Ghost is Ghost's: our editor shows it read-only with "Edit in
Ghost", the blog services refuse to change it, and Detach hands it over to us."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from quart.typing import TestClientProtocol as Client
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts.blog import PostDraft, PostForbidden, StaffMember
from shared.contracts.dtos import UserRecord
from shared.dev.ghost import GhostStandIn
from shared.infrastructure.config import Settings
from shared.infrastructure.viewer import set_viewer
from shared.models.blog import Post
from shared.services.blog.ghost_sync.importer import Units
from shared.services.registry import services
from tests.blog.ghost.conftest import ghost_settings, sync
from tests.conftest import AppFactory
from tests.support.factories import make_user

pytestmark = pytest.mark.usefixtures("wired")


@pytest.fixture
def ghost() -> Any:
    with GhostStandIn(posts=2, pages=0, images=False) as running:
        yield running


@pytest.fixture
async def ghost_post(
    units: Units, ghost: GhostStandIn, settings: Settings, tmp_path: Path, db: AsyncSession
) -> Post:
    await sync(units, ghost, settings, tmp_path)
    post = await db.scalar(select(Post).where(Post.ghost_id == ghost.posts()[0]["id"]))
    assert post is not None
    return post


async def admin_client(
    make_app: AppFactory, db: AsyncSession, settings: Settings, ghost: GhostStandIn
) -> Client:
    user = await make_user(db, "ghostadmin", is_admin=True)
    viewer = UserRecord(
        id=user.id,
        username=user.username,
        display_name=user.display_name,
        email=user.email,
        is_admin=True,
    )
    app = await make_app("blog", app_settings=ghost_settings(settings, ghost))

    @app.before_request
    async def sign_in() -> None:
        set_viewer(viewer)

    return app.test_client()


def admin(user_id: int = 1) -> StaffMember:
    return StaffMember(user_id=user_id, username="ed", name="Ed", role="administrator")


def draft_of(post: Post, title: str) -> PostDraft:
    return PostDraft(type=post.type, title=title, slug=post.slug, doc=None, excerpt="")


async def csrf(client: Client, path: str) -> str:
    html = await (await client.get(path)).get_data(as_text=True)
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, html[:500]
    return found.group(1)


async def test_the_services_refuse_to_change_a_ghost_post(
    db: AsyncSession, ghost_post: Post
) -> None:
    for change in (
        services.blog.save_post(db, admin(), ghost_post.id, draft_of(ghost_post, "Mine now")),
        services.blog.unpublish_post(db, admin(), ghost_post.id),
        services.blog.delete_post_as(db, admin(), ghost_post.id),
    ):
        with pytest.raises(PostForbidden, match="comes from Ghost"):
            await change


async def test_the_editor_shows_it_read_only_and_detach_makes_it_editable(
    make_app: AppFactory,
    db: AsyncSession,
    settings: Settings,
    ghost: GhostStandIn,
    ghost_post: Post,
    units: Units,
    tmp_path: Path,
) -> None:
    client = await admin_client(make_app, db, settings, ghost)
    page = await (await client.get(f"/admin/posts/{ghost_post.id}/")).get_data(as_text=True)
    assert "read-only here" in page
    assert f'href="{ghost.url}/ghost/#/editor/post/{ghost_post.ghost_id}"' in page
    assert 'id="post-form"' not in page

    token = await csrf(client, f"/admin/posts/{ghost_post.id}/")
    refused = await client.post(
        f"/admin/posts/{ghost_post.id}/unpublish", form={"csrf_token": token}
    )
    assert refused.status_code == 403
    assert "comes from Ghost" in await refused.get_data(as_text=True)

    detached = await client.post(f"/admin/posts/{ghost_post.id}/detach", form={"csrf_token": token})
    assert detached.status_code == 303
    page = await (await client.get(f"/admin/posts/{ghost_post.id}/")).get_data(as_text=True)
    assert 'id="post-form"' in page and "read-only here" not in page
    await db.refresh(ghost_post)
    editor = await make_user(db, "ghosteditor", is_admin=True)
    saved = await services.blog.save_post(
        db, admin(editor.id), ghost_post.id, draft_of(ghost_post, "Ours now")
    )
    assert saved is not None and saved.title == "Ours now"

    # Sync leaves a detached post alone, whatever Ghost does to it.
    ghost.edit_post(ghost_post.ghost_id or "", title="Changed in Ghost")
    await sync(units, ghost, settings, tmp_path, kind="reconcile")
    await db.refresh(ghost_post)
    assert ghost_post.title == "Ours now"


async def test_detach_needs_csrf(
    make_app: AppFactory,
    db: AsyncSession,
    settings: Settings,
    ghost: GhostStandIn,
    ghost_post: Post,
) -> None:
    client = await admin_client(make_app, db, settings, ghost)
    refused = await client.post(f"/admin/posts/{ghost_post.id}/detach", form={})
    assert refused.status_code in (400, 403)
    await db.refresh(ghost_post)
    assert ghost_post.ghost_detached is False
