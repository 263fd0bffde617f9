"""The full import: posts, pages, tags, authors and images; re-running creates nothing;
an outage mid-import resumes with every post imported exactly once."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.dev.ghost import GhostStandIn
from shared.infrastructure.config import Settings
from shared.infrastructure.ghost import GhostUnavailable
from shared.models.activitypub import Activity
from shared.models.blog import Author, GhostSyncRun, Post, Tag
from shared.services.blog.ghost_sync.importer import Units
from tests.blog.ghost.conftest import count_from_ghost, sync


async def test_a_full_import_brings_everything_and_a_rerun_creates_nothing(
    units: Units, db: AsyncSession, settings: Settings, tmp_path: Path
) -> None:
    with GhostStandIn(posts=500, pages=5, images=True) as ghost:
        counts = await sync(units, ghost, settings, tmp_path)
        assert counts.created == 505
        assert await count_from_ghost(db, "post") == 500
        assert await count_from_ghost(db, "page") == 5

        sample = ghost.posts()[0]
        post = await db.scalar(select(Post).where(Post.ghost_id == sample["id"]))
        assert post is not None
        assert post.title == sample["title"] and post.status == "published"
        assert post.feature_image and post.feature_image.startswith("/media/")
        assert ghost.url not in post.html  # inline images point at our copies
        assert 'src="/media/' in post.html
        assert {t.name for t in post.tags} == {t["name"] for t in sample["tags"]}
        assert [a.name for a in post.authors] == [a["name"] for a in sample["authors"]]
        internal = await db.scalar(select(Tag).where(Tag.name.startswith("#")))
        assert internal is not None  # internal tags come too
        assert (
            await db.scalar(
                select(func.count()).select_from(Author).where(Author.ghost_id.is_not(None))
            )
            == 2
        )

        again = await sync(units, ghost, settings, tmp_path, kind="reconcile")
        assert (again.created, again.updated, again.deleted) == (0, 0, 0)
        assert await count_from_ghost(db, "post") == 500
        runs = (await db.scalars(select(GhostSyncRun).order_by(GhostSyncRun.id))).all()
        assert [(r.kind, r.created) for r in runs] == [("import", 505), ("reconcile", 0)]
        assert all(r.finished_at is not None for r in runs)


async def test_an_outage_mid_import_resumes_and_imports_each_post_once(
    units: Units, db: AsyncSession, settings: Settings, tmp_path: Path
) -> None:
    with GhostStandIn(posts=250, pages=1, images=False) as ghost:
        ghost.fail_after(4)  # the totals and a page or two, then 503s
        with pytest.raises(GhostUnavailable) as failed:
            await sync(units, ghost, settings, tmp_path)
        assert ghost.url in str(failed.value)
        partial = await count_from_ghost(db)
        assert 0 < partial < 250
        run = await db.scalar(select(GhostSyncRun).order_by(GhostSyncRun.id.desc()))
        assert run is not None and run.error and "503" in run.error

        ghost.reset()
        counts = await sync(units, ghost, settings, tmp_path)
        assert await count_from_ghost(db) == 250
        assert counts.created == 251 - partial
        ids = (await db.scalars(select(Post.ghost_id).where(Post.ghost_id.is_not(None)))).all()
        assert len(ids) == len(set(ids)) == 251


@pytest.mark.usefixtures("wired")
async def test_the_first_import_federates_nothing_and_later_posts_federate_once(
    units: Units, db: AsyncSession, settings: Settings, tmp_path: Path
) -> None:
    with GhostStandIn(posts=3, pages=0, images=False) as ghost:
        await sync(units, ghost, settings, tmp_path)
        assert await _outbox(db) == 0
        ghost.add_post(title="Fresh from Ghost", html="<p>New.</p>")
        await sync(units, ghost, settings, tmp_path, kind="reconcile")
        await sync(units, ghost, settings, tmp_path, kind="reconcile")
        assert await _outbox(db, "Create") == 1


async def _outbox(db: AsyncSession, type_: str | None = None) -> int:
    wanted = select(func.count()).select_from(Activity)
    if type_:
        wanted = wanted.where(Activity.type == type_)
    return int(await db.scalar(wanted) or 0)
