"""/admin/ghost/: Ghost's connection state, the last runs with their counts and errors,
and "Sync now", which queues one run however often it is pressed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.dev.ghost import GhostStandIn
from shared.infrastructure.config import Settings
from shared.models.jobs import Job
from shared.services.blog.ghost_sync.importer import Units
from shared.services.blog.ghost_sync.jobs import SYNC_KIND
from tests.blog.ghost.conftest import sync
from tests.blog.ghost.test_ownership import admin_client, csrf
from tests.conftest import AppFactory

pytestmark = pytest.mark.usefixtures("wired")


@pytest.fixture
def ghost() -> Any:
    with GhostStandIn(posts=3, pages=1, images=False) as running:
        yield running


async def test_the_page_shows_state_runs_and_sync_now_queues_one_run(
    make_app: AppFactory,
    db: AsyncSession,
    settings: Settings,
    ghost: GhostStandIn,
    units: Units,
    tmp_path: Path,
) -> None:
    await sync(units, ghost, settings, tmp_path)
    client = await admin_client(make_app, db, settings, ghost)
    listing = await (await client.get("/admin/posts/")).get_data(as_text=True)
    assert 'href="/admin/ghost/"' in listing

    page = await (await client.get("/admin/ghost/")).get_data(as_text=True)
    assert 'data-connection="connected"' in page and "3 published posts in Ghost" in page
    assert "<td>import</td>" in page and "<td>4</td>" in page  # 4 created
    assert 'class="table-scroll" role="region"' in page

    token = await csrf(client, "/admin/ghost/")
    first = await client.post("/admin/ghost/sync", form={"csrf_token": token})
    second = await client.post("/admin/ghost/sync", form={"csrf_token": token})
    assert first.headers["Location"].endswith("queued=new")
    assert second.headers["Location"].endswith("queued=already")
    queued = (await db.scalars(select(Job).where(Job.kind == SYNC_KIND))).all()
    assert len(queued) == 1
    page = await (await client.get(second.headers["Location"])).get_data(as_text=True)
    assert "already queued" in page


async def test_the_page_names_an_outage(
    make_app: AppFactory, db: AsyncSession, settings: Settings, ghost: GhostStandIn
) -> None:
    client = await admin_client(make_app, db, settings, ghost)
    ghost.down()
    page = await (await client.get("/admin/ghost/")).get_data(as_text=True)
    assert 'data-connection="unreachable"' in page and ghost.url in page


async def test_members_without_a_role_are_refused(make_app: AppFactory) -> None:
    client = (await make_app("blog")).test_client()
    assert (await client.get("/admin/ghost/")).status_code == 403
