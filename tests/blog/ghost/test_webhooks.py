"""Ghost's webhooks: verified first (401 and nothing written otherwise), one job per
distinct change however often it is delivered, and the job refetches and applies it."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from quart.typing import TestClientProtocol as Client
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.dev.ghost import GhostStandIn
from shared.infrastructure.config import Settings
from shared.infrastructure.ghost import sign
from shared.infrastructure.jobs import JobContext
from shared.models.blog import Post, Tag
from shared.models.jobs import Job
from shared.services.blog.ghost_sync.importer import Units
from shared.services.blog.ghost_sync.jobs import webhook_job
from shared.services.blog.ghost_sync.webhooks import WEBHOOK_KIND
from tests.blog.ghost.conftest import ghost_settings, sync
from tests.conftest import AppFactory

pytestmark = pytest.mark.usefixtures("wired")


@pytest.fixture
def ghost() -> Any:
    with GhostStandIn(posts=4, pages=1, images=False) as running:
        yield running


@pytest.fixture
async def imported(units: Units, ghost: GhostStandIn, settings: Settings, tmp_path: Path) -> None:
    await sync(units, ghost, settings, tmp_path)


@pytest.fixture
async def blog(make_app: AppFactory, ghost: GhostStandIn, settings: Settings) -> Client:
    app = await make_app("blog", app_settings=ghost_settings(settings, ghost))
    return app.test_client()


def payload(resource: str, current: dict[str, Any], previous: dict[str, Any]) -> bytes:
    return json.dumps({resource: {"current": current, "previous": previous}}).encode()


async def deliver(
    blog: Client, ghost: GhostStandIn, event: str, body: bytes, header: str | None = "sign"
) -> Any:
    headers = {"Content-Type": "application/json"}
    if header == "sign":
        header = sign(ghost.webhook_secret, body, int(time.time() * 1000))
    if header is not None:
        headers["X-Ghost-Signature"] = header
    return await blog.post(f"/webhooks/ghost/{event}", data=body, headers=headers)


async def jobs(db: AsyncSession) -> list[Job]:
    return list(await db.scalars(select(Job).where(Job.kind == WEBHOOK_KIND).order_by(Job.id)))


async def run_jobs(db: AsyncSession, ctx: JobContext) -> None:
    for job in await jobs(db):
        await webhook_job(ctx, dict(job.payload))


@pytest.mark.usefixtures("imported")
@pytest.mark.parametrize(
    ("header", "named"),
    [
        (None, "missing"),
        ("sha256=00ff, t={now}", "does not match"),
        ("sign-old", "too old"),
        ("garbage", "malformed"),
    ],
)
async def test_a_bad_signature_is_401_naming_it_and_writes_nothing(
    blog: Client, ghost: GhostStandIn, db: AsyncSession, header: str | None, named: str
) -> None:
    item = ghost.edit_post(ghost.posts()[0]["id"], title="Forged title")
    body = payload("post", item, {"title": "old"})
    if header == "sign-old":
        header = sign(ghost.webhook_secret, body, int(time.time() * 1000) - 3600_000)
    elif header is not None:
        header = header.format(now=int(time.time() * 1000))
    response = await deliver(blog, ghost, "post.published.edited", body, header)
    assert response.status_code == 401
    assert named in (await response.get_json())["error"]
    assert await jobs(db) == []
    assert await db.scalar(select(Post).where(Post.title == "Forged title")) is None


@pytest.mark.usefixtures("imported")
async def test_ten_identical_deliveries_make_one_job_and_it_applies_the_edit(
    blog: Client,
    ghost: GhostStandIn,
    db: AsyncSession,
    job_ctx: Callable[[GhostStandIn], JobContext],
) -> None:
    item = ghost.edit_post(ghost.posts()[0]["id"], title="Edited in Ghost")
    body = payload("post", item, {"title": "before"})
    # One after another here (the app shares the test's one connection); the live test
    # delivers them concurrently to a real server.
    answers = [await deliver(blog, ghost, "post.published.edited", body) for _ in range(10)]
    assert [a.status_code for a in answers] == [200] * 10
    assert len(await jobs(db)) == 1
    await run_jobs(db, job_ctx(ghost))
    post = await db.scalar(select(Post).where(Post.ghost_id == item["id"]))
    assert post is not None
    await db.refresh(post)
    assert post.title == "Edited in Ghost"


@pytest.mark.usefixtures("imported")
async def test_unpublished_and_deleted_posts_leave_the_blog(
    blog: Client,
    ghost: GhostStandIn,
    db: AsyncSession,
    job_ctx: Callable[[GhostStandIn], JobContext],
) -> None:
    first, second = ghost.posts()[:2]
    ghost.unpublish_post(first["id"])
    ghost.delete_post(second["id"])
    unpublished = ghost.post(first["id"])
    assert (
        await deliver(blog, ghost, "post.unpublished", payload("post", unpublished, {}))
    ).status_code == 200
    assert (
        await deliver(blog, ghost, "post.deleted", payload("post", {}, second))
    ).status_code == 200
    await run_jobs(db, job_ctx(ghost))
    db.expire_all()
    draft = await db.scalar(select(Post).where(Post.ghost_id == first["id"]))
    assert draft is not None and draft.status == "draft"
    assert await db.scalar(select(Post).where(Post.ghost_id == second["id"])) is None


@pytest.mark.usefixtures("imported")
async def test_tag_edited_and_deleted(
    blog: Client,
    ghost: GhostStandIn,
    db: AsyncSession,
    job_ctx: Callable[[GhostStandIn], JobContext],
) -> None:
    tags = [t for t in ghost.posts()[0]["tags"]]
    renamed, dropped = tags[0], tags[-1] if len(tags) > 1 else tags[0]
    edited = ghost.edit_tag(renamed["id"], name="Renamed in Ghost")
    await deliver(blog, ghost, "tag.edited", payload("tag", edited, {"name": renamed["name"]}))
    await run_jobs(db, job_ctx(ghost))
    db.expire_all()
    tag = await db.scalar(select(Tag).where(Tag.ghost_id == renamed["id"]))
    assert tag is not None and tag.name == "Renamed in Ghost"
    if dropped is not renamed:
        ghost.delete_tag(dropped["id"])
        await deliver(blog, ghost, "tag.deleted", payload("tag", {}, dropped))
        await run_jobs(db, job_ctx(ghost))
        assert await db.scalar(select(Tag).where(Tag.ghost_id == dropped["id"])) is None


async def test_an_unknown_event_or_a_bad_body_is_400(blog: Client, ghost: GhostStandIn) -> None:
    body = payload("post", {"id": "x"}, {})
    bad = await deliver(blog, ghost, "member.added", body)
    assert bad.status_code == 400 and "member.added" in (await bad.get_json())["error"]
    empty = await deliver(blog, ghost, "post.published", b"[]")
    assert empty.status_code == 400 and "post" in (await empty.get_json())["error"]


@pytest.mark.usefixtures("imported")
async def test_a_post_deleted_while_webhooks_are_off_goes_at_the_next_reconciliation(
    units: Units, ghost: GhostStandIn, db: AsyncSession, settings: Settings, tmp_path: Path
) -> None:
    ghost.webhooks_enabled = False
    gone = ghost.posts()[1]["id"]
    ghost.delete_post(gone)
    counts = await sync(units, ghost, settings, tmp_path, kind="reconcile")
    assert counts.deleted == 1
    assert await db.scalar(select(Post).where(Post.ghost_id == gone)) is None
    total = await db.scalar(
        select(func.count()).select_from(Post).where(Post.ghost_id.is_not(None))
    )
    assert total == 4  # 3 posts and the page
