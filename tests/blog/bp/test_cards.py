"""Product and event cards on a post's page: the live fragment, or the card's own title."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from shared.services.blog.rendering import render_doc
from tests.blog.bp.conftest import SignedIn
from tests.support.factories import make_post


async def test_a_card_whose_provider_does_not_answer_shows_its_title(
    signed_in: SignedIn, db: AsyncSession
) -> None:
    doc = {
        "type": "doc",
        "content": [
            {"type": "paragraph", "content": [{"type": "text", "text": "Before"}]},
            {"type": "productCard", "attrs": {"id": 41, "title": "Heather honey"}},
            {"type": "eventCard", "attrs": {"id": 42, "title": "Lantern walk"}},
        ],
    }
    rendered = render_doc(doc)
    await make_post(db, "Cards", slug="cards", doc=doc, html=rendered.html)
    page = await (await (await signed_in(None)).get("/cards/")).get_data(as_text=True)
    body = page[page.index('class="post__content"') :]
    assert "Heather honey" in body and "Lantern walk" in body, body[:1500]
