"""Reading: members-only bodies, lists with featured posts and pages, search."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts.blog import StaffMember
from shared.services.registry import Services
from tests.services.blog.conftest import Unit, doc, para
from tests.services.blog.test_editing import draft
from tests.support.factories import make_post


async def publish(
    db: AsyncSession,
    wired: Services,
    unit: Unit,
    staff: StaffMember,
    title: str,
    *body: str,
    **f: object,
) -> int:
    async with unit():
        post = await wired.blog.create_post(db, staff, draft(title, *(para(b) for b in body), **f))
        await wired.blog.publish_post_as(db, staff, post.id)
    return post.id


async def test_search_finds_a_word_only_in_the_body_with_a_marked_snippet(
    db: AsyncSession, wired: Services, unit: Unit, admin: StaffMember
) -> None:
    await publish(
        db, wired, unit, admin, "Bees", "Hives hum with zymurgy & <b>bold</b> talk today."
    )
    await publish(db, wired, unit, admin, "Zymurgy in the title", "Other words.")
    await publish(db, wired, unit, admin, "Secret", "zymurgy for members", visibility="members")
    async with unit():
        draft_post = await wired.blog.create_post(db, admin, draft("Unpublished", para("zymurgy")))
    hits = await wired.blog.search_posts(db, "zymurgy")
    assert [hit.title for hit in hits] == ["Zymurgy in the title", "Bees"]  # title weighs most
    snippet = hits[1].snippet
    assert "<mark>zymurgy</mark>" in snippet
    assert "&amp;" in snippet and "<b>" not in snippet  # the body's text stays text
    assert draft_post.title not in [hit.title for hit in hits]


async def test_search_takes_web_search_syntax_and_odd_input(
    db: AsyncSession, wired: Services, unit: Unit, admin: StaffMember
) -> None:
    await publish(db, wired, unit, admin, "Honey", "raw honey from the marsh")
    await publish(db, wired, unit, admin, "Wax", "beeswax candles and honey")
    assert [h.title for h in await wired.blog.search_posts(db, "honey -candles")] == ["Honey"]
    assert [h.title for h in await wired.blog.search_posts(db, '"raw honey"')] == ["Honey"]
    for odd in ("", "   ", "&|!():*", "'; drop table posts; --", "x" * 5000):
        assert isinstance(await wired.blog.search_posts(db, odd), list)


async def test_search_uses_the_gin_index(db: AsyncSession) -> None:
    await db.execute(text("SET LOCAL enable_seqscan = off"))
    plan = "\n".join(
        await db.scalars(
            text(
                "EXPLAIN SELECT id FROM posts WHERE search_vector @@ "
                "websearch_to_tsquery('simple'::regconfig, 'honey')"
            )
        )
    )
    assert "ix_posts_search_vector" in plan


async def test_a_members_only_post_is_listed_but_its_body_is_for_members(
    db: AsyncSession, wired: Services, unit: Unit, admin: StaffMember
) -> None:
    await publish(db, wired, unit, admin, "Members news", "the secret plan", visibility="members")
    visitor = await wired.blog.get_reading_post(db, "members-news", member=False)
    member = await wired.blog.get_reading_post(db, "members-news", member=True)
    assert visitor is not None and visitor.html == ""
    assert member is not None and "the secret plan" in member.html
    listed, _ = await wired.blog.list_reading_posts(db)
    assert [p.title for p in listed] == ["Members news"] and listed[0].html == ""
    assert await wired.blog.list_feed_posts(db) == []  # feeds carry public posts only


async def test_lists_page_and_filter_by_tag_author_and_featured(
    db: AsyncSession, wired: Services, unit: Unit, admin: StaffMember, author: StaffMember
) -> None:
    for n in range(5):
        await publish(db, wired, unit, admin, f"Post {n}", "x", tags=("Garden",), featured=n == 2)
    await publish(db, wired, unit, author, "By Ann", "y", tags=("#internal",))
    first, more = await wired.blog.list_reading_posts(db, per_page=4)
    second, last = await wired.blog.list_reading_posts(db, page=2, per_page=4)
    assert len(first) == 4 and more and len(second) == 2 and not last
    garden, _ = await wired.blog.list_reading_posts(db, tag_slug="garden")
    assert len(garden) == 5
    by_ann, _ = await wired.blog.list_reading_posts(db, author_slug="ann")
    assert [p.title for p in by_ann] == ["By Ann"] and by_ann[0].tags == ()  # internal: hidden
    featured, _ = await wired.blog.list_reading_posts(db, featured=True)
    assert [p.title for p in featured] == ["Post 2"]
    assert await wired.blog.get_tag(db, "hash-internal") is None


async def test_the_sitemap_lists_public_pages_tags_and_authors(
    db: AsyncSession, wired: Services, unit: Unit, admin: StaffMember
) -> None:
    await publish(db, wired, unit, admin, "Seen", "x", tags=("Garden",))
    await make_post(db, "Hidden draft", status="draft", slug="hidden-draft")
    paths = [path for path, _ in await wired.blog.list_sitemap_entries(db)]
    assert "/seen/" in paths and "/tag/garden/" in paths and "/author/ada/" in paths
    assert "/hidden-draft/" not in paths


async def test_stored_html_is_sanitized_again_when_read(db: AsyncSession, wired: Services) -> None:
    await make_post(db, "Old import", slug="old", html='<p onclick="x">Hi<script>1</script></p>')
    post = await wired.blog.get_reading_post(db, "old", member=False)
    assert post is not None and post.html == "<p>Hi</p>"
    assert doc() == {"type": "doc", "content": []}
