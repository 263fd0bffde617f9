"""The whole loop with real processes: the Ghost stand-in, the blog app under Hypercorn and
the jobs worker. An edit in Ghost reaches our post page through its webhook, and the same
webhook delivered ten times at once makes one job."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import asyncpg
import httpx
import pytest
from argon2 import PasswordHasher

from shared.dev.ghost import GhostStandIn
from shared.infrastructure.ghost import sign
from shared.services.blog.ghost_sync.webhooks import WEBHOOK_KIND
from tests.blog.bp.test_browser_editor import PASSWORD, fill_sign_in_form_as
from tests.conftest import TEST_SECRET_KEY
from tests.sso.test_browser_sso import chromium
from tests.support.activitypub.live import committed, settings_for
from tests.support.activitypub.standin import eventually
from tests.support.databases import DatabaseServer
from tests.support.factories import make_user
from tests.support.live import REPO_ROOT, LivePlatform, redis_database, running_platform

pytestmark = pytest.mark.slow
DATABASE = "rose_ash_ghost_live"
# The bound: an edit shows on our page within 5 s of its webhook.
WITHIN_SECONDS = 5.0


@pytest.fixture(scope="module")
def ghost() -> Iterator[GhostStandIn]:
    with GhostStandIn(posts=3, images=False, webhook_delays=(0.2, 0.5)) as stand_in:
        yield stand_in


@pytest.fixture(scope="module")
def live(
    database_server: DatabaseServer,
    redis_url: str,
    tmp_path_factory: pytest.TempPathFactory,
    ghost: GhostStandIn,
) -> Iterator[LivePlatform]:
    with running_platform(
        database_server,
        DATABASE,
        redis_database(redis_url, 8),
        TEST_SECRET_KEY,
        tmp_path_factory.mktemp("ghost-live-logs"),
        {
            "GHOST_URL": ghost.url,
            "GHOST_ADMIN_KEY": ghost.admin_key,
            "GHOST_CONTENT_KEY": ghost.content_key,
            "GHOST_WEBHOOK_SECRET": ghost.webhook_secret,
            "MEDIA_ROOT": str(tmp_path_factory.mktemp("ghost-live-media")),
        },
        apps=("blog", "federation"),
    ) as platform:
        # The first import, as an operator runs it.
        subprocess.run(
            [sys.executable, "-m", "blog.ghost", "sync"],
            env=platform.env(),
            cwd=REPO_ROOT,
            check=True,
            capture_output=True,
            timeout=120,
        )
        yield platform


def page_title(live: LivePlatform, slug: str) -> str:
    response = httpx.get(f"{live.internal_url('blog')}/{slug}/", timeout=10)
    assert response.status_code == 200, (slug, response.status_code)
    return response.text


def test_an_edit_in_ghost_shows_on_our_post_page_within_5_s_of_its_webhook(
    live: LivePlatform, ghost: GhostStandIn
) -> None:
    target = f"{live.internal_url('blog')}/webhooks/ghost/post.published.edited"
    ghost.subscribe("post.published.edited", target)
    post = ghost.posts()[0]
    assert post["title"] in page_title(live, post["slug"])
    sent = len(ghost.deliveries)
    ghost.edit_post(post["id"], title="Apple pressing moves to the barn")
    deadline = time.monotonic() + 10
    while len(ghost.deliveries) == sent and time.monotonic() < deadline:
        time.sleep(0.02)
    assert ghost.deliveries[sent][2] == 200, ghost.deliveries[sent:]
    delivered = time.monotonic()
    while time.monotonic() - delivered < WITHIN_SECONDS:
        if "Apple pressing moves to the barn" in page_title(live, post["slug"]):
            break
        time.sleep(0.1)
    assert "Apple pressing moves to the barn" in page_title(live, post["slug"])
    assert time.monotonic() - delivered < WITHIN_SECONDS + 1


async def test_the_same_webhook_delivered_ten_times_at_once_makes_one_job(
    live: LivePlatform, ghost: GhostStandIn
) -> None:
    ghost.webhooks_enabled = False  # only our ten deliveries, not the stand-in's own
    try:
        post = ghost.edit_post(ghost.posts()[1]["id"], title="Seed library opens on Saturdays")
    finally:
        ghost.webhooks_enabled = True
    body = json.dumps({"post": {"current": post, "previous": {"title": "old"}}}).encode()
    url = f"{live.internal_url('blog')}/webhooks/ghost/post.published.edited"

    async def deliver(client: httpx.AsyncClient) -> int:
        headers = {
            "Content-Type": "application/json",
            "X-Ghost-Signature": sign(ghost.webhook_secret, body, int(time.time() * 1000)),
        }
        return (await client.post(url, content=body, headers=headers)).status_code

    async with httpx.AsyncClient(timeout=30) as client:
        answers = await asyncio.gather(*(deliver(client) for _ in range(10)))
    assert answers == [200] * 10
    conn = await asyncpg.connect(live.database_url)
    try:
        jobs = await conn.fetch(
            "SELECT key FROM jobs WHERE kind = $1 AND payload::text LIKE $2",
            WEBHOOK_KIND,
            f"%{post['id']}%",
        )
    finally:
        await conn.close()
    assert len(jobs) == 1, jobs
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if "Seed library opens on Saturdays" in page_title(live, post["slug"]):
            break
        await asyncio.sleep(0.1)
    assert "Seed library opens on Saturdays" in page_title(live, post["slug"])


async def test_an_editor_detaches_a_ghost_post_and_sync_leaves_it_alone(
    live: LivePlatform, ghost: GhostStandIn
) -> None:
    async with committed(settings_for(live.env())) as session:
        await make_user(
            session,
            "gina",
            display_name="Gina",
            is_admin=True,
            password_hash=PasswordHasher().hash(PASSWORD),
            email_verified_at=datetime.now(UTC),
        )
    target = ghost.posts()[2]
    conn = await asyncpg.connect(live.database_url)
    try:
        ours = await conn.fetchval("SELECT id FROM posts WHERE ghost_id = $1", target["id"])
    finally:
        await conn.close()
    blog = live.public_url("blog")
    editor = f"{blog}/admin/posts/{ours}/"
    async with chromium() as (_context, page):
        await page.goto(f"{blog}/auth/login?next=/admin/posts/{ours}/")
        await fill_sign_in_form_as(page, "gina")
        await page.wait_for_url(editor)
        # Read-only while Ghost owns it: a link to Ghost's editor, no form of ours.
        assert await page.get_by_role("button", name="Edit in Ghost").count() == 1
        assert await page.locator("#title").count() == 0
        await page.get_by_role("button", name="Detach from Ghost").click()
        await page.wait_for_url(editor)
        await page.fill("#title", "Cider club minutes, our copy")
        await page.get_by_role("button", name="Update").click()
        await page.wait_for_url(editor)
    assert "Cider club minutes, our copy" in page_title(live, target["slug"])
    # Ghost edits it afterwards: the webhook is answered, and our copy stays ours.
    sent = len(ghost.deliveries)
    ghost.edit_post(target["id"], title="Changed in Ghost after the detach")
    for _ in range(200):  # up to 10 s for the stand-in's delivery
        if len(ghost.deliveries) > sent:
            break
        await asyncio.sleep(0.05)
    assert ghost.deliveries[sent][2] == 200
    # The job the delivery queued has run (and left the detached post alone).
    conn = await asyncpg.connect(live.database_url)
    try:
        for _ in range(200):
            states = await conn.fetch(
                "SELECT state FROM jobs WHERE kind = $1 AND payload::text LIKE $2",
                WEBHOOK_KIND,
                f"%{target['id']}%",
            )
            if states and all(row["state"] == "succeeded" for row in states):
                break
            await asyncio.sleep(0.05)
    finally:
        await conn.close()
    assert states and all(row["state"] == "succeeded" for row in states), states
    html = page_title(live, target["slug"])
    assert "Cider club minutes, our copy" in html
    assert "Changed in Ghost after the detach" not in html


async def test_an_admin_finds_the_ghost_sync_page_and_a_sync_now_runs(
    live: LivePlatform, ghost: GhostStandIn
) -> None:
    async with committed(settings_for(live.env())) as session:
        await make_user(
            session,
            "hal",
            display_name="Hal",
            is_admin=True,
            password_hash=PasswordHasher().hash(PASSWORD),
            email_verified_at=datetime.now(UTC),
        )
    blog = live.public_url("blog")
    async with chromium() as (_context, page):
        await page.goto(f"{blog}/auth/login?next=/admin/posts/")
        await fill_sign_in_form_as(page, "hal")
        await page.wait_for_url(f"{blog}/admin/posts/")
        await page.get_by_role("link", name="Ghost sync").click()
        await page.wait_for_url(f"{blog}/admin/ghost/")
        lede = await page.inner_text("[data-connection]")
        assert lede.startswith(f"Connected to {ghost.url}")
        assert "The first import is done" in await page.inner_text("main")

        await page.get_by_role("button", name="Sync now").click()
        await page.wait_for_url(f"{blog}/admin/ghost/*")
        assert await page.get_by_role("status").inner_text() == "A sync is queued."

        async def finished_manual_run() -> str | None:
            await page.goto(f"{blog}/admin/ghost/")
            cells = await page.locator("main table").first.locator("tbody tr").first.inner_text()
            row = cells.split("\t")
            return cells if row[1] == "manual" and row[2] != "running" else None

        row = await eventually(finished_manual_run, within=60, what="the manual run, finished")
        assert row.split("\t")[6:] in ([], [""])  # no problems reported
