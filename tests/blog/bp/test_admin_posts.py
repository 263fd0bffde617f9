"""The staff routes: roles on every route, the editor's form, lifecycle, uploads."""

from __future__ import annotations

import io
import json
import re

import pytest
from PIL import Image
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.models.blog import Post, PostRevision
from tests.blog.bp.conftest import SignedIn, csrf

DOC = {
    "type": "doc",
    "content": [
        {"type": "heading", "attrs": {"level": 2}, "content": [{"type": "text", "text": "Hi"}]},
        {
            "type": "paragraph",
            "content": [
                {"type": "text", "text": "<script>alert(1)</script> click"},
                {
                    "type": "text",
                    "text": " me",
                    "marks": [{"type": "link", "attrs": {"href": "javascript:alert(1)"}}],
                },
            ],
        },
        {"type": "htmlCard", "attrs": {"html": '<img src="/media/x.png" onerror="alert(1)">'}},
    ],
}


def form(token: str, **fields: str) -> dict[str, str]:
    return {"csrf_token": token, "title": "Seed swap", "doc": json.dumps(DOC), **fields}


async def create(client, token: str, **fields: str) -> int:  # type: ignore[no-untyped-def]
    response = await client.post("/admin/posts/", form=form(token, **fields))
    assert response.status_code == 303, await response.get_data(as_text=True)
    found = re.search(r"/admin/posts/(\d+)/", response.headers["Location"])
    assert found
    return int(found.group(1))


@pytest.mark.parametrize("role", [None, "member"])
async def test_only_staff_get_in(signed_in: SignedIn, role: str | None) -> None:
    client = await signed_in(role)
    for path in ("/admin/posts/", "/admin/posts/new", "/admin/posts/1/", "/admin/posts/1/history"):
        assert (await client.get(path)).status_code == 403, path
    assert (await client.post("/admin/posts/", form={"title": "x"})).status_code in (400, 403)


async def test_a_post_is_stored_and_shown_without_script_handlers_or_javascript_links(
    signed_in: SignedIn, db: AsyncSession
) -> None:
    client = await signed_in("administrator")
    post_id = await create(client, await csrf(client))
    stored = await db.scalar(select(Post.html).where(Post.id == post_id))
    assert stored is not None
    for bad in ("<script", "onerror", "javascript:"):
        assert bad not in stored
    token = await csrf(client)
    await client.post(f"/admin/posts/{post_id}/publish", form={"csrf_token": token})
    page = await (await client.get("/seed-swap/")).get_data(as_text=True)
    body = page[page.index('class="post__content"') :]
    assert "&lt;script&gt;alert(1)&lt;/script&gt; click" in body
    for bad in ("<script>alert", "onerror", "javascript:"):
        assert bad not in body


async def test_a_contributor_has_no_publish_button_and_gets_403_for_publishing(
    signed_in: SignedIn, db: AsyncSession
) -> None:
    client = await signed_in("contributor")
    post_id = await create(client, await csrf(client))
    editor_page = await (await client.get(f"/admin/posts/{post_id}/")).get_data(as_text=True)
    assert "Publish now" not in editor_page and "Schedule" not in editor_page
    token = await csrf(client)
    for action in ("publish", "schedule", "unpublish"):
        response = await client.post(
            f"/admin/posts/{post_id}/{action}",
            form={"csrf_token": token, "publish_at": "2099-01-01T10:00"},
        )
        assert response.status_code == 403, action
    assert await db.scalar(select(Post.status).where(Post.id == post_id)) == "draft"


async def test_duplicate_and_reserved_slugs_are_refused_with_a_message(
    signed_in: SignedIn,
) -> None:
    client = await signed_in("editor")
    token = await csrf(client)
    await create(client, token, slug="honey")
    for slug, message in (("honey", "already uses the slug"), ("rss", "reserved path")):
        response = await client.post("/admin/posts/", form=form(token, slug=slug))
        assert response.status_code == 400
        assert message in await response.get_data(as_text=True)
    # From the title instead: suffixed, never refused.
    second = await client.post("/admin/posts/", form=form(token, title="Honey"))
    assert second.status_code == 303


async def test_bad_form_fields_are_400_pages_naming_the_field(signed_in: SignedIn) -> None:
    client = await signed_in("editor")
    token = await csrf(client)
    cases = [
        ({"title": ""}, "Give the post a title"),
        ({"doc": "{not json"}, "did not arrive whole"),
        ({"authors": "abc"}, "Choose authors"),
        ({"visibility": "paid"}, "public or members only"),
        ({"feature_image": "javascript:alert(1)"}, "feature image"),
    ]
    for fields, message in cases:
        response = await client.post("/admin/posts/", form=form(token, **fields))
        assert response.status_code == 400, fields
        assert message in await response.get_data(as_text=True), fields


async def test_saving_keeps_revisions_and_history_restores_one(
    signed_in: SignedIn, db: AsyncSession
) -> None:
    client = await signed_in("editor")
    token = await csrf(client)
    post_id = await create(client, token)
    response = await client.post(f"/admin/posts/{post_id}/", form=form(token, title="Renamed"))
    assert response.status_code == 303
    history = await (await client.get(f"/admin/posts/{post_id}/history")).get_data(as_text=True)
    assert "Renamed" in history and "Seed swap" in history
    first = await db.scalar(
        select(PostRevision.id).where(PostRevision.post_id == post_id).order_by(PostRevision.id)
    )
    restored = await client.post(
        f"/admin/posts/{post_id}/history/{first}/restore", form={"csrf_token": token}
    )
    assert restored.status_code == 303
    assert await db.scalar(select(Post.title).where(Post.id == post_id)) == "Seed swap"


async def test_autosave_saves_drafts_as_json_and_not_published_posts(signed_in: SignedIn) -> None:
    client = await signed_in("administrator")
    token = await csrf(client)
    created = await client.post(
        "/admin/posts/", form=form(token), headers={"X-Requested-With": "editor"}
    )
    body = await created.get_json()
    assert created.status_code == 200 and body["saved"] and body["edit_url"]
    saved = await client.post(f"{body['edit_url']}autosave", form=form(token, title="Typing"))
    assert saved.status_code == 200 and (await saved.get_json())["saved"]
    await client.post(f"{body['edit_url']}publish", form={"csrf_token": token})
    refused = await client.post(f"{body['edit_url']}autosave", form=form(token))
    assert refused.status_code == 409


def png_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 120, 80)).save(out, "PNG")
    return out.getvalue()


async def upload(client, token: str, data: bytes):  # type: ignore[no-untyped-def]
    return await client.post(
        "/admin/posts/upload",
        data=data,
        headers={
            "Content-Type": "application/octet-stream",
            "X-CSRF-Token": token,
            "Accept": "application/json",
        },
    )


async def test_an_uploaded_image_is_stored_and_served(signed_in: SignedIn) -> None:
    client = await signed_in("author")
    token = await csrf(client)
    response = await upload(client, token, png_bytes())
    assert response.status_code == 201
    stored = await response.get_json()
    assert stored["url"].startswith("/media/") and stored["width"] == 40
    assert (await client.get(stored["url"])).status_code == 200


async def test_a_text_file_named_png_and_a_30_mb_upload_are_refused_by_name(
    signed_in: SignedIn,
) -> None:
    client = await signed_in("author")
    token = await csrf(client)
    text = await upload(client, token, b"just some text, renamed .png\n" * 10)
    assert text.status_code == 400
    assert "image" in (await text.get_json())["error"].lower()
    huge = await upload(client, token, b"\x89PNG" + b"0" * (30 * 1024 * 1024))
    assert huge.status_code == 413
    assert "too large" in (await huge.get_json())["error"]
    no_token = await client.post("/admin/posts/upload", data=png_bytes())
    assert no_token.status_code == 400


async def test_the_staff_list_filters_by_status(signed_in: SignedIn) -> None:
    client = await signed_in("editor")
    token = await csrf(client)
    await create(client, token, title="Still a draft")
    published = await create(client, token, title="Out there")
    await client.post(f"/admin/posts/{published}/publish", form={"csrf_token": token})
    page = await (await client.get("/admin/posts/?status=published")).get_data(as_text=True)
    assert "Out there" in page and "Still a draft" not in page
    assert (await client.get("/admin/posts/?status=bogus")).status_code == 400


async def test_preview_shows_a_draft_as_its_page_will_look(signed_in: SignedIn) -> None:
    client = await signed_in("contributor")
    post_id = await create(client, await csrf(client), title="Draft news")
    preview = await client.get(f"/admin/posts/{post_id}/preview")
    html = await preview.get_data(as_text=True)
    assert preview.status_code == 200
    assert "<h1>Draft news</h1>" in html and "Preview of a draft post" in html
    assert '<meta name="robots" content="noindex">' in html
    assert (await client.get("/draft-news/")).status_code == 404  # not published


async def test_editors_write_pages_and_authors_may_not(signed_in: SignedIn) -> None:
    author = await signed_in("author")
    refused = await author.post(
        "/admin/posts/", form=form(await csrf(author), type="page", title="Our story")
    )
    assert refused.status_code == 403
    editor = await signed_in("editor")
    token = await csrf(editor)
    page_id = await create(editor, token, type="page", title="Our story")
    await editor.post(f"/admin/posts/{page_id}/publish", form={"csrf_token": token})
    page = await (await editor.get("/our-story/")).get_data(as_text=True)
    assert "<h1>Our story</h1>" in page
    listed = await (await editor.get("/admin/posts/?type=page")).get_data(as_text=True)
    assert "Our story" in listed


async def test_a_hostile_title_cannot_break_out_of_the_json_ld(signed_in: SignedIn) -> None:
    client = await signed_in("editor")
    token = await csrf(client)
    hostile = "</script><script>alert(1)</script>"
    post_id = await create(client, token, title=hostile, slug="hostile")
    await client.post(f"/admin/posts/{post_id}/publish", form={"csrf_token": token})
    page = await (await client.get("/hostile/")).get_data(as_text=True)
    assert "<script>alert(1)" not in page
    assert page.count("</script>") == page.count("<script")  # every script is our own
