"""Stalls: a member applies, an admin approves, the page shows story, products and events."""

from __future__ import annotations

import io

from quart.datastructures import FileStorage
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.models.identity import User
from shared.models.market import Stall
from tests.infrastructure.media.samples import image_bytes
from tests.market.conftest import MarketAs, csrf, text
from tests.support.factories import make_product, make_stall, make_user

APPLICATION = {
    "name": "Fen Preserves",
    "slug": "fen-preserves",
    "description": "Jams from fen fruit.",
    "story": "<p>Made in small batches.</p><script>alert(1)</script>",
    "location": "Fen Lane",
    "pickup_details": "Saturdays at the hall.",
}


async def test_a_member_applies_and_the_stall_waits_for_approval(
    market_as: MarketAs, db: AsyncSession, ben: User
) -> None:
    client = await market_as(ben)
    token = await csrf(client)
    response = await client.post("/stalls/apply/", form={**APPLICATION, "csrf_token": token})
    assert response.status_code == 303
    assert response.headers["Location"] == "/stalls/fen-preserves/manage/"
    status = await db.scalar(select(Stall.status).where(Stall.slug == "fen-preserves"))
    assert status == "pending"
    page = await text(await client.get("/stalls/fen-preserves/"))
    assert "only you and the admins see it" in page
    assert "<script>alert(1)</script>" not in page and "Made in small batches." in page
    visitor = await market_as(None)
    assert (await visitor.get("/stalls/fen-preserves/")).status_code == 404


async def test_an_admin_approves_and_the_stall_is_public(
    market_as: MarketAs, db: AsyncSession, ben: User, ada: User
) -> None:
    stall = await make_stall(db, "Fen Preserves", ben, status="pending", slug="fen")
    admin = await market_as(ada)
    listing = await text(await admin.get("/admin/stalls/"))
    assert "Fen Preserves" in listing
    token = await csrf(admin, "/admin/stalls/")
    response = await admin.post(
        f"/admin/stalls/{stall.id}/review", form={"decision": "approve", "csrf_token": token}
    )
    assert response.status_code == 303
    visitor = await market_as(None)
    page = await text(await visitor.get("/stalls/fen/"))
    assert "Fen Preserves" in page
    assert "Fen Preserves" in await text(await visitor.get("/"))


async def test_members_who_are_not_admins_cannot_review(
    market_as: MarketAs, db: AsyncSession, ben: User
) -> None:
    client = await market_as(ben)
    assert (await client.get("/admin/stalls/")).status_code == 403
    assert (await (await market_as(None)).get("/admin/pages/")).status_code == 403


async def test_the_stall_page_shows_story_pickup_and_its_public_products_only(
    market_as: MarketAs, db: AsyncSession, ben: User
) -> None:
    stall = await make_stall(
        db, "Hartley Ceramics", ben, story="<p>Kick wheel.</p>", pickup_details="Gate box"
    )
    await make_product(db, stall, "Stoneware mug", 1800)
    await make_product(db, stall, "Secret glaze", 900, status="draft")
    page = await text(await (await market_as(None)).get(f"/stalls/{stall.slug}/"))
    assert "Kick wheel." in page and "Gate box" in page
    assert "Stoneware mug" in page and "Secret glaze" not in page
    assert f'href="/stalls/{stall.slug}/' in page


async def test_a_bad_application_names_the_field_and_writes_nothing(
    market_as: MarketAs, db: AsyncSession, ben: User
) -> None:
    client = await market_as(ben)
    token = await csrf(client)
    for field, value, words in (
        ("name", "x" * 100_000, "at most 200"),
        ("slug", "Not A Slug!", "lower-case letters"),
        ("slug", "apply", "reserved"),
    ):
        response = await client.post(
            "/stalls/apply/", form={**APPLICATION, field: value, "csrf_token": token}
        )
        assert response.status_code == 400
        body = await text(response)
        assert f"<strong>{field}</strong>" in body and words in body
    assert await db.scalar(select(Stall.id).where(Stall.name == "Fen Preserves")) is None


async def test_a_taken_stall_address_is_refused(
    market_as: MarketAs, db: AsyncSession, ben: User
) -> None:
    await make_stall(db, "Other", await make_user(db), slug="fen-preserves")
    client = await market_as(ben)
    response = await client.post(
        "/stalls/apply/", form={**APPLICATION, "csrf_token": await csrf(client)}
    )
    assert response.status_code == 400
    assert "is taken" in await text(response)


async def test_signing_in_is_needed_to_apply(market_as: MarketAs) -> None:
    visitor = await market_as(None)
    for path in ("/stalls/apply/", "/stalls/mine/"):
        response = await visitor.get(path)
        # Off to sign in, and back to the form after.
        assert response.status_code == 302, path
        assert response.headers["Location"] == f"/auth/login?next={path}"


async def test_the_owner_edits_the_stall_and_others_may_not(
    market_as: MarketAs, db: AsyncSession, ben: User
) -> None:
    stall = await make_stall(db, "Fen Preserves", ben, slug="fen")
    owner = await market_as(ben)
    token = await csrf(owner, "/stalls/fen/manage/stall")
    form = {**APPLICATION, "story": "<p>New <em>jars</em>.</p>", "csrf_token": token}
    assert (await owner.post("/stalls/fen/manage/stall", form=form)).status_code == 303
    page = await text(await (await market_as(None)).get("/stalls/fen/"))
    assert "New <em>jars</em>." in page
    stranger = await market_as(await make_user(db, "mallory"))
    assert (await stranger.get("/stalls/fen/manage/stall")).status_code == 403
    bad = {**form, "name": "x" * 300, "location": "Fen Lane, by the sluice"}
    response = await owner.post("/stalls/fen/manage/stall", form=bad)
    assert response.status_code == 400 and "at most 200" in await text(response)
    assert 'value="Fen Lane, by the sluice"' in await text(response)  # kept to correct
    assert await db.scalar(select(Stall.name).where(Stall.id == stall.id)) == "Fen Preserves"


async def test_the_owner_gives_the_stall_a_photo_and_its_text_from_the_edit_form(
    market_as: MarketAs, db: AsyncSession, ben: User
) -> None:
    await make_stall(db, "Fen Preserves", ben, slug="fen")
    owner = await market_as(ben)
    form_page = await text(await owner.get("/stalls/fen/manage/stall"))
    assert 'enctype="multipart/form-data"' in form_page and 'name="image"' in form_page
    photo = FileStorage(io.BytesIO(image_bytes(640, 480)), filename="jars.jpg", name="image")
    response = await owner.post(
        "/stalls/fen/manage/stall",
        form={
            **APPLICATION,
            "image_alt": "Jars of damson jam on a shelf",
            "csrf_token": await csrf(owner, "/stalls/fen/manage/stall"),
        },
        files={"image": photo},
    )
    assert response.status_code == 303, await text(response)
    page = await text(await (await market_as(None)).get("/stalls/fen/"))
    assert 'alt="Jars of damson jam on a shelf"' in page and "/media/" in page

    relabel = {
        **APPLICATION,
        "image_alt": "Damson jam",
        "csrf_token": await csrf(owner, "/stalls/fen/manage/stall"),
    }
    assert (await owner.post("/stalls/fen/manage/stall", form=relabel)).status_code == 303
    page = await text(await (await market_as(None)).get("/stalls/fen/"))
    assert 'alt="Damson jam"' in page and "/media/" in page  # the photo stays

    too_long = {**relabel, "image_alt": "x" * 301}
    refused = await owner.post("/stalls/fen/manage/stall", form=too_long)
    assert refused.status_code == 400 and "at most 300" in await text(refused)
