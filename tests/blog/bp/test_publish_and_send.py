"""The editor's "Email it to" on publishing and "Send it to" on a published post: what
staff see, what is queued, and the refusals, each a page naming the problem."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.models.newsletters import Newsletter, NewsletterSend
from tests.blog.bp.conftest import SignedIn, csrf
from tests.blog.bp.test_admin_posts import create


async def newsletter(db: AsyncSession, slug: str) -> int:
    row = Newsletter(slug=slug, name=slug.title())
    db.add(row)
    await db.flush()
    return row.id


async def sent(db: AsyncSession) -> list[tuple[int, int | None]]:
    rows = await db.execute(
        select(NewsletterSend.newsletter_id, NewsletterSend.post_id).order_by(NewsletterSend.id)
    )
    return [(n, p) for n, p in rows]


async def test_publish_and_send_queues_the_issue_and_the_editor_shows_its_progress(
    signed_in: SignedIn, db: AsyncSession
) -> None:
    weekly = await newsletter(db, "weekly")
    client = await signed_in("editor")
    post_id = await create(client, await csrf(client))
    editor = await (await client.get(f"/admin/posts/{post_id}/")).get_data(as_text=True)
    assert "Email it to" in editor and "Weekly (0 subscribers)" in editor
    response = await client.post(
        f"/admin/posts/{post_id}/publish",
        form={"csrf_token": await csrf(client), "newsletter_id": str(weekly)},
    )
    assert response.status_code == 303
    assert await sent(db) == [(weekly, post_id)]
    editor = await (await client.get(f"/admin/posts/{post_id}/")).get_data(as_text=True)
    sending = editor[editor.index('id="sending"') :]
    assert "<td>Weekly</td><td>queued</td>" in sending
    assert f'action="/admin/posts/{post_id}/send"' not in sending  # no newsletter left


async def test_a_published_post_is_sent_to_another_newsletter_once(
    signed_in: SignedIn, db: AsyncSession
) -> None:
    weekly = await newsletter(db, "weekly")
    market = await newsletter(db, "market-day")
    client = await signed_in("administrator")
    post_id = await create(client, await csrf(client))
    token = await csrf(client)
    await client.post(f"/admin/posts/{post_id}/publish", form={"csrf_token": token})
    assert await sent(db) == []
    editor = await (await client.get(f"/admin/posts/{post_id}/")).get_data(as_text=True)
    assert "Not emailed to any newsletter." in editor and "Send it to" in editor
    send = f"/admin/posts/{post_id}/send"
    response = await client.post(send, form={"csrf_token": token, "newsletter_id": str(market)})
    assert response.status_code == 303 and response.headers["Location"].endswith("#sending")
    again = await client.post(send, form={"csrf_token": token, "newsletter_id": str(market)})
    assert again.status_code == 409
    assert "This post was sent to Market-Day already." in await again.get_data(as_text=True)
    assert await sent(db) == [(market, post_id)]
    editor = await (await client.get(f"/admin/posts/{post_id}/")).get_data(as_text=True)
    assert f'<option value="{weekly}">Weekly' in editor
    assert f'<option value="{market}">' not in editor[editor.index('id="sending"') :]


async def test_bad_choices_are_400_pages_naming_the_problem_and_change_nothing(
    signed_in: SignedIn, db: AsyncSession
) -> None:
    client = await signed_in("editor")
    post_id = await create(client, await csrf(client))
    token = await csrf(client)
    cases = [
        ("publish", {"newsletter_id": "weekly"}, "newsletter_id"),
        ("publish", {"newsletter_id": "424242"}, "Choose one of the newsletters listed."),
        (
            "schedule",
            {"newsletter_id": "424242", "publish_at": "2099-01-01T10:00"},
            "Choose one of the newsletters listed.",
        ),
        ("send", {"newsletter_id": ""}, "Choose the newsletter to send it to."),
    ]
    for action, fields, message in cases:
        response = await client.post(
            f"/admin/posts/{post_id}/{action}", form={"csrf_token": token, **fields}
        )
        assert response.status_code == 400, (action, fields)
        assert message in await response.get_data(as_text=True), (action, fields)
    draft = await client.get(f"/admin/posts/{post_id}/")
    assert "<strong data-status>draft</strong>" in await draft.get_data(as_text=True)
    weekly = await newsletter(db, "weekly")
    unpublished = await client.post(
        f"/admin/posts/{post_id}/send", form={"csrf_token": token, "newsletter_id": str(weekly)}
    )
    assert unpublished.status_code == 409
    assert "Only a published post can be sent." in await unpublished.get_data(as_text=True)
    assert await sent(db) == []


async def test_contributors_cannot_send_and_nobody_sends_without_csrf(
    signed_in: SignedIn, db: AsyncSession
) -> None:
    weekly = await newsletter(db, "weekly")
    editor = await signed_in("editor")
    post_id = await create(editor, await csrf(editor))
    token = await csrf(editor)
    await editor.post(f"/admin/posts/{post_id}/publish", form={"csrf_token": token})
    forged = await editor.post(f"/admin/posts/{post_id}/send", form={"newsletter_id": str(weekly)})
    assert forged.status_code in (400, 403)
    contributor = await signed_in("contributor")
    refused = await contributor.post(
        f"/admin/posts/{post_id}/send",
        form={"csrf_token": await csrf(contributor), "newsletter_id": str(weekly)},
    )
    assert refused.status_code in (403, 404)
    assert await sent(db) == []
