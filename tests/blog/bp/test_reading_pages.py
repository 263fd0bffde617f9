"""What readers see: home with featured posts and pages of older ones, a post with its
SEO tags, members-only posts, author and tag pages, search, feeds and the sitemap."""

from __future__ import annotations

import json
import re
from xml.etree import ElementTree

from sqlalchemy.ext.asyncio import AsyncSession

from shared.models.blog import Author, NavigationItem, PostAuthor, Tag
from tests.blog.bp.conftest import SignedIn
from tests.support.factories import add, make_author, make_post

ATOM = "{http://www.w3.org/2005/Atom}"


async def seeded(db: AsyncSession) -> Author:
    author = await make_author(db, "Ada Lovelace")
    garden = Tag(slug="garden", name="Garden")
    await add(db, garden)
    for n in range(15):
        post = await make_post(
            db,
            f"Post number {n}",
            slug=f"post-{n}",
            html=f"<p>Body {n} about beeswax.</p>",
            excerpt=f"Excerpt {n}",
            featured=n == 3,
            tags=[garden] if n % 2 else [],
        )
        await add(db, PostAuthor(post_id=post.id, author_id=author.id))
    await make_post(
        db,
        "Members plan",
        slug="members-plan",
        html="<p>The secret plan.</p>",
        visibility="members",
    )
    return author


async def test_home_shows_featured_then_pages_of_posts(
    signed_in: SignedIn, db: AsyncSession
) -> None:
    await seeded(db)
    client = await signed_in(None)
    home = await (await client.get("/")).get_data(as_text=True)
    featured = home[home.index('id="featured-posts"') : home.index('id="latest-posts"')]
    assert "Post number 3" in featured
    assert home.count('class="card post-card') == 12 + 1
    assert 'href="/?page=2"' in home
    second = await (await client.get("/?page=2")).get_data(as_text=True)
    assert "Post number 0" in second and 'rel="prev"' in second
    assert (await client.get("/?page=abc")).status_code == 400


async def test_a_post_page_has_canonical_open_graph_twitter_and_article_json_ld(
    signed_in: SignedIn, db: AsyncSession
) -> None:
    await seeded(db)
    client = await signed_in(None)
    page = await (await client.get("/post-5/")).get_data(as_text=True)
    assert re.search(r'<link rel="canonical" href="https?://[^"]+/post-5/">', page)
    assert '<meta property="og:title" content="Post number 5">' in page
    assert '<meta property="og:type" content="article">' in page
    assert '<meta name="twitter:card" content="summary">' in page
    found = re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.DOTALL)
    assert found
    ld = json.loads(found.group(1))
    assert ld["@type"] == "Article" and ld["headline"] == "Post number 5"
    assert ld["author"][0]["name"] == "Ada Lovelace"
    assert 'href="/author/' in page and 'href="/tag/garden/"' in page


async def test_members_only_shows_visitors_an_invitation_and_members_the_body(
    signed_in: SignedIn, db: AsyncSession
) -> None:
    await seeded(db)
    visitor = await (await (await signed_in(None)).get("/members-plan/")).get_data(as_text=True)
    assert "This post is for members" in visitor and "secret plan" not in visitor
    assert "/auth/login?next=" in visitor
    member = await (await (await signed_in("member")).get("/members-plan/")).get_data(as_text=True)
    assert "The secret plan." in member


async def test_author_and_tag_pages_list_their_posts_and_link_their_feeds(
    signed_in: SignedIn, db: AsyncSession
) -> None:
    author = await seeded(db)
    client = await signed_in(None)
    author_page = await (await client.get(f"/author/{author.slug}/")).get_data(as_text=True)
    assert "Ada Lovelace" in author_page and f'href="/author/{author.slug}/rss/"' in author_page
    tag_page = await (await client.get("/tag/garden/")).get_data(as_text=True)
    assert "Post number 1" in tag_page and "Post number 2" not in tag_page
    assert (await client.get("/author/nobody/")).status_code == 404


async def test_feeds_are_valid_rss_and_atom_for_site_tag_and_author(
    signed_in: SignedIn, db: AsyncSession
) -> None:
    author = await seeded(db)
    client = await signed_in(None)
    rss = await client.get("/rss/")
    assert rss.headers["Content-Type"].startswith("application/rss+xml")
    channel = ElementTree.fromstring(await rss.get_data()).find("channel")
    assert channel is not None
    titles = [item.findtext("title") for item in channel.findall("item")]
    assert titles[0] == "Post number 14" and "Members plan" not in titles
    first = channel.findall("item")[0]
    assert first.findtext("description") == "Excerpt 14"
    encoded = "{http://purl.org/rss/1.0/modules/content/}encoded"
    assert "<p>Body 14 about beeswax.</p>" in (first.findtext(encoded) or "")
    atom = ElementTree.fromstring(await (await client.get("/atom/")).get_data())
    assert atom.tag == f"{ATOM}feed" and len(atom.findall(f"{ATOM}entry")) == 15
    tag_rss = ElementTree.fromstring(await (await client.get("/tag/garden/rss/")).get_data())
    assert len(tag_rss.findall("channel/item")) == 7
    author_atom = await client.get(f"/author/{author.slug}/atom/")
    assert len(ElementTree.fromstring(await author_atom.get_data()).findall(f"{ATOM}entry")) == 15
    assert (await client.get("/tag/nope/rss/")).status_code == 404


async def test_search_page_shows_highlighted_matches(signed_in: SignedIn, db: AsyncSession) -> None:
    await make_post(
        db,
        "Candles",
        slug="candles",
        html="<p>Hand-dipped beeswax candles.</p>",
        plaintext="Hand-dipped beeswax candles.",
    )
    client = await signed_in(None)
    page = await (await client.get("/search/?q=beeswax")).get_data(as_text=True)
    assert '<a href="/candles/">Candles</a>' in page and "<mark>beeswax</mark>" in page
    empty = await client.get("/search/")
    assert empty.status_code == 200
    odd = await client.get("/search/?q=%22%27%3B%29%28%26%7C")
    assert odd.status_code == 200


async def test_sitemap_and_footer_menu(signed_in: SignedIn, db: AsyncSession) -> None:
    await seeded(db)
    await add(db, NavigationItem(menu="secondary", label="Privacy", url="/privacy/", position=0))
    client = await signed_in(None)
    sitemap = ElementTree.fromstring(await (await client.get("/sitemap.xml")).get_data())
    locs = [
        loc.text or "" for loc in sitemap.iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc")
    ]
    assert any(loc.endswith("/post-0/") for loc in locs) and any("/tag/garden/" in x for x in locs)
    home = await (await client.get("/")).get_data(as_text=True)
    footer = home[home.index('aria-label="Footer menu"') :]
    assert '<a href="/privacy/">Privacy</a>' in footer
