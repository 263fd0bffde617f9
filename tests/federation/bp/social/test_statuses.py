"""Composing and reading statuses through the federation app's pages: what a member
writes shows up, marked up and federated; bad input gets a clear refusal."""

from __future__ import annotations

import io

from PIL import Image
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from werkzeug.datastructures import FileStorage

from shared.models.activitypub import Activity, ApObject, Direction
from tests.federation.bp.social.conftest import MemberFactory


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 90)).save(buffer, "PNG")
    return buffer.getvalue()


async def outbound(db: AsyncSession, kind: str) -> list[dict[str, object]]:
    rows = await db.scalars(
        select(Activity.payload)
        .where(Activity.direction == Direction.OUTBOUND, Activity.type == kind)
        .order_by(Activity.id)
        .execution_options(populate_existing=True)
    )
    return list(rows)


async def test_a_post_with_a_warning_a_hashtag_and_a_mention_reaches_timelines_and_notifies(
    member: MemberFactory, db: AsyncSession
) -> None:
    cleo, ben = await member("cleo"), await member("ben")
    status, _ = await cleo.post(
        "/statuses",
        {"status": "Bread day, @ben! #baking", "spoiler_text": "food", "language": "en"},
    )
    assert status == 302
    home = await cleo.page("/home")
    assert "<summary>food</summary>" in home
    assert "/tags/baking" in home and "#<span>baking</span>" in home
    assert "@<span>ben</span>" in home and 'lang="en"' in home
    assert "Bread day" in await ben.page("/home")  # mentioned: it reached ben too
    assert "mentioned you" in await ben.page("/notifications")
    assert "Bread day" in await cleo.page("/tags/baking")
    assert "Bread day" in await cleo.page("/local")
    [create] = await outbound(db, "Create")
    note = create["object"]
    assert isinstance(note, dict) and note["summary"] == "food" and note["sensitive"] is True
    assert {"type": "Hashtag", "name": "#baking"}.items() <= note["tag"][1].items()


async def test_an_image_with_alt_text_is_stored_shown_and_federated_absolute(
    member: MemberFactory, db: AsyncSession
) -> None:
    cleo = await member("cleo")
    files = {"media": FileStorage(io.BytesIO(png()), "loaf.png", content_type="image/png")}
    status, body = await cleo.post(
        "/statuses", {"status": "A loaf", "alt": "a round brown loaf"}, files=files
    )
    assert status == 302, body
    home = await cleo.page("/home")
    assert 'alt="a round brown loaf"' in home and 'src="/media/' in home
    [create] = await outbound(db, "Create")
    [attachment] = create["object"]["attachment"]  # type: ignore[index]
    assert attachment["url"].startswith("http") and "/media/" in attachment["url"]
    assert attachment["name"] == "a round brown loaf"


async def test_favourite_boost_edit_and_delete_federate_and_undo(
    member: MemberFactory, db: AsyncSession
) -> None:
    cleo, ben = await member("cleo"), await member("ben")
    await cleo.post("/statuses", {"status": "First version"})
    post = await db.scalar(select(ApObject).where(ApObject.source == "First version"))
    assert post is not None
    assert (await ben.post(f"/statuses/{post.id}/favourite", {}))[0] == 302
    assert (await ben.post(f"/statuses/{post.id}/boost", {}))[0] == 302
    page = await ben.page(f"/@cleo/{post.id}")
    assert "Unfavourite 1" in page and "Unboost 1" in page
    notes = await cleo.page("/notifications")
    assert "favourited your post" in notes and "boosted your post" in notes
    await ben.post(f"/statuses/{post.id}/unfavourite", {})
    assert "Favourite 0" in await ben.page(f"/@cleo/{post.id}")
    assert len(await outbound(db, "Like")) == 1 and len(await outbound(db, "Undo")) == 1

    assert (await cleo.post(f"/statuses/{post.id}/edit", {"status": "Second version"}))[0] == 302
    assert "Second version" in await cleo.page(f"/@cleo/{post.id}")
    [update] = await outbound(db, "Update")
    assert "Second version" in update["object"]["content"]  # type: ignore[index]
    assert (await ben.post(f"/statuses/{post.id}/edit", {"status": "hijack"}))[0] == 404

    assert (await cleo.post(f"/statuses/{post.id}/delete", {}))[0] == 302
    assert (await cleo.client.get(f"/@cleo/{post.id}", headers=cleo.headers)).status_code == 404
    [delete] = await outbound(db, "Delete")
    assert delete["object"]["type"] == "Tombstone"  # type: ignore[index]


async def test_a_reply_threads_under_its_parent_and_notifies_the_author(
    member: MemberFactory, db: AsyncSession
) -> None:
    cleo, ben = await member("cleo"), await member("ben")
    await cleo.post("/statuses", {"status": "Who wants rye?"})
    post = await db.scalar(select(ApObject).where(ApObject.source == "Who wants rye?"))
    assert post is not None
    await ben.post("/statuses", {"status": "Me!", "in_reply_to_id": str(post.id)})
    thread = await cleo.page(f"/@cleo/{post.id}")
    assert thread.index("Who wants rye?") < thread.index("Me!")
    assert "replied to your post" in await cleo.page("/notifications")


async def test_bad_input_is_refused_clearly_and_nothing_is_written(
    member: MemberFactory, db: AsyncSession
) -> None:
    cleo, ben = await member("cleo"), await member("ben")
    status, body = await cleo.post("/statuses", {"status": "x" * 501})
    assert status == 422 and "character limit of 500" in body
    status, body = await cleo.post("/statuses", {"status": "hi", "visibility": "everyone"})
    assert status == 422 and "Visibility" in body
    await cleo.post("/statuses", {"status": "just for @ben", "visibility": "direct"})
    secret = await db.scalar(select(ApObject).where(ApObject.source == "just for @ben"))
    assert secret is not None
    dora = await member("dora")
    status, body = await dora.post("/statuses", {"status": "hm", "in_reply_to_id": str(secret.id)})
    assert status == 404
    status, _ = await cleo.post("/statuses", {"status": "hi", "in_reply_to_id": "1e9"})
    assert status == 400
    assert "just for" in await ben.page("/home")
    assert "just for" not in await dora.page("/local")
    assert await db.scalar(select(ApObject.id).where(ApObject.source == "hm")) is None
