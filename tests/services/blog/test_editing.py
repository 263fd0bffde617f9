"""Staff writing: roles on every action, revisions, and what each step federates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts.blog import PostDraft, PostError, PostForbidden, StaffMember
from shared.models.blog import Post
from shared.models.jobs import Job
from shared.services.blog.publishing import PUBLISH_KIND, publish_due
from shared.services.registry import Services
from tests.services.blog.conftest import Unit, doc, outbox, para


def draft(title: str = "Seed swap", *blocks: dict[str, object], **fields: object) -> PostDraft:
    return PostDraft(title=title, doc=doc(*(blocks or (para("Bring seeds."),))), **fields)  # type: ignore[arg-type]


async def test_a_new_post_is_a_draft_with_its_writer_as_author_and_one_revision(
    db: AsyncSession, wired: Services, unit: Unit, author: StaffMember
) -> None:
    async with unit():
        post = await wired.blog.create_post(db, author, draft(tags=("Garden", "#newsletter")))
    assert post.status == "draft" and post.slug == "seed-swap"
    assert [a.name for a in post.authors] == ["Ann"]
    assert post.tags == ("Garden", "#newsletter")
    assert post.html == "<p>Bring seeds.</p>"
    revisions = await wired.blog.list_revisions(db, author, post.id)
    assert revisions is not None and [r.reason for r in revisions] == ["created"]
    assert await outbox(db) == []


async def test_each_changed_save_keeps_a_revision_and_restoring_is_one_too(
    db: AsyncSession, wired: Services, unit: Unit, editor: StaffMember
) -> None:
    async with unit():
        post = await wired.blog.create_post(db, editor, draft("First"))
    async with unit():
        await wired.blog.save_post(db, editor, post.id, draft("Second"))
    async with unit():  # the same again: an autosave with nothing new keeps no revision
        await wired.blog.save_post(db, editor, post.id, draft("Second"))
    revisions = await wired.blog.list_revisions(db, editor, post.id)
    assert revisions is not None and [r.title for r in revisions] == ["Second", "First"]
    async with unit():
        restored = await wired.blog.restore_revision(db, editor, post.id, revisions[-1].id)
    assert restored is not None and restored.title == "First"
    after = await wired.blog.list_revisions(db, editor, post.id)
    assert after is not None and [(r.title, r.reason) for r in after][:2] == [
        ("First", "restore"),
        ("Second", "save"),
    ]


async def test_a_contributor_writes_drafts_but_never_publishes(
    db: AsyncSession, wired: Services, unit: Unit, contributor: StaffMember
) -> None:
    async with unit():
        post = await wired.blog.create_post(db, contributor, draft())
    with pytest.raises(PostForbidden):
        await wired.blog.publish_post_as(db, contributor, post.id)
    with pytest.raises(PostForbidden):
        await wired.blog.schedule_post(
            db, contributor, post.id, datetime.now(UTC) + timedelta(hours=1)
        )
    status = await db.scalar(select(Post.status).where(Post.id == post.id))
    assert status == "draft"


async def test_an_author_publishes_their_own_posts_only(
    db: AsyncSession, wired: Services, unit: Unit, author: StaffMember, editor: StaffMember
) -> None:
    async with unit():
        theirs = await wired.blog.create_post(db, editor, draft("Editor's"))
        own = await wired.blog.create_post(db, author, draft("Author's"))
    with pytest.raises(PostForbidden):
        await wired.blog.publish_post_as(db, author, theirs.id)
    with pytest.raises(PostForbidden):
        await wired.blog.save_post(db, author, theirs.id, draft("Taken over"))
    async with unit():
        published = await wired.blog.publish_post_as(db, author, own.id)
    assert published is not None and published.status == "published"
    async with unit():  # an editor publishes anyone's
        assert await wired.blog.publish_post_as(db, editor, theirs.id) is not None


async def test_publishing_edits_and_unpublishing_federate_create_update_delete(
    db: AsyncSession, wired: Services, unit: Unit, admin: StaffMember
) -> None:
    async with unit():
        post = await wired.blog.create_post(db, admin, draft("Apple day"))
    async with unit():
        await wired.blog.publish_post_as(db, admin, post.id)
    async with unit():
        await wired.blog.save_post(db, admin, post.id, draft("Apple day (moved)"))
    async with unit():
        await wired.blog.unpublish_post(db, admin, post.id)
    activities = await outbox(db)
    assert [a.type for a in activities] == ["Create", "Update", "Delete"]
    assert activities[0].payload["object"]["type"] == "Article"
    assert activities[0].payload["object"]["url"].endswith("/apple-day/")
    assert activities[1].payload["object"]["name"] == "Apple day (moved)"
    assert activities[2].payload["object"]["type"] == "Tombstone"


async def test_a_members_only_post_never_federates_its_body(
    db: AsyncSession, wired: Services, unit: Unit, admin: StaffMember
) -> None:
    async with unit():
        secret = await wired.blog.create_post(
            db, admin, draft("For members", para("secret words"), visibility="members")
        )
        await wired.blog.publish_post_as(db, admin, secret.id)
    assert await outbox(db) == []
    async with unit():
        public = await wired.blog.create_post(db, admin, draft("Open", para("open words")))
        await wired.blog.publish_post_as(db, admin, public.id)
    async with unit():  # made members-only once federated: withdrawn, not updated
        await wired.blog.save_post(
            db, admin, public.id, draft("Open", para("now secret"), visibility="members")
        )
    activities = await outbox(db)
    assert [a.type for a in activities] == ["Create", "Delete"]
    assert all("secret" not in str(a.payload) for a in activities)


async def test_scheduling_enqueues_a_job_at_the_time_and_it_publishes_then(
    db: AsyncSession, wired: Services, unit: Unit, admin: StaffMember
) -> None:
    at = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=5)
    async with unit():
        post = await wired.blog.create_post(db, admin, draft("Later"))
        scheduled = await wired.blog.schedule_post(db, admin, post.id, at)
    assert scheduled is not None and scheduled.status == "scheduled"
    job = await db.scalar(select(Job).where(Job.kind == PUBLISH_KIND))
    assert job is not None and job.run_at == at and job.payload["post_id"] == post.id
    async with unit():  # too early: the job leaves it alone
        assert not await publish_due(db, post.id, job.payload["at"])
    assert await outbox(db) == []
    await db.execute(
        Post.__table__.update()
        .where(Post.id == post.id)
        .values(published_at=at - timedelta(hours=1))
    )
    async with unit():  # rescheduled since: this job's time is not the post's any more
        assert not await publish_due(db, post.id, job.payload["at"])
    async with unit():
        assert await publish_due(db, post.id, None)
    assert [a.type for a in await outbox(db)] == ["Create"]


async def test_a_time_in_the_past_is_refused(
    db: AsyncSession, wired: Services, unit: Unit, admin: StaffMember
) -> None:
    async with unit():
        post = await wired.blog.create_post(db, admin, draft())
    with pytest.raises(PostError, match="future"):
        await wired.blog.schedule_post(db, admin, post.id, datetime.now(UTC) - timedelta(minutes=1))


async def test_contributors_see_only_their_own_posts_in_the_staff_list(
    db: AsyncSession, wired: Services, unit: Unit, contributor: StaffMember, editor: StaffMember
) -> None:
    from shared.contracts.blog import PostFilter

    async with unit():
        await wired.blog.create_post(db, editor, draft("Editor's", tags=("Garden",)))
        await wired.blog.create_post(db, contributor, draft("Contributor's"))
    mine, _ = await wired.blog.list_staff_posts(db, contributor, PostFilter())
    everyone, _ = await wired.blog.list_staff_posts(db, editor, PostFilter())
    tagged, _ = await wired.blog.list_staff_posts(db, editor, PostFilter(tag="garden"))
    drafts, _ = await wired.blog.list_staff_posts(db, editor, PostFilter(status="published"))
    assert [p.title for p in mine] == ["Contributor's"]
    assert {p.title for p in everyone} == {"Editor's", "Contributor's"}
    assert [p.title for p in tagged] == ["Editor's"]
    assert drafts == []


async def test_an_editor_gives_a_post_several_authors_in_order(
    db: AsyncSession, wired: Services, unit: Unit, editor: StaffMember, author: StaffMember
) -> None:
    async with unit():
        own = await wired.blog.create_post(db, author, draft("Ann's first"))
    ann = own.authors[0].id
    async with unit():
        shared = await wired.blog.create_post(db, editor, draft("Together"))
        eve = shared.authors[0].id
        saved = await wired.blog.save_post(
            db, editor, shared.id, draft("Together", author_ids=(ann, eve))
        )
    assert saved is not None and [a.name for a in saved.authors] == ["Ann", "Eve"]
    with pytest.raises(PostError, match="authors"):
        await wired.blog.save_post(db, editor, shared.id, draft("Together", author_ids=(999999,)))
