"""The blog's demo data: staff roles, bylines, the classic posts, and posts written
through the blog service the way the editor writes them.

`seed_blog` runs with the members; `seed_blog_showcase` after the market, events
and photos exist, since its cards embed a product, an event and stored images.
Together they show every card, a table, two authors on one post, a featured
post, a members-only post, a scheduled one (its job publishes it when due),
public and internal tags, and the footer menu.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts.blog import PostDraft, StaffMember
from shared.dev.demo_posts import ABOUT, POST_BODIES
from shared.models.blog import Author, NavigationItem, Post, Tag
from shared.models.events import Event
from shared.models.identity import User
from shared.models.market import Product
from shared.services.blog import SqlBlogService
from shared.services.blog.staff import set_staff_role
from shared.services.federating import plain_text

# (username, role): ada is an admin member, an administrator anyway.
STAFF = [("cleo", "editor"), ("ben", "author")]
Node = dict[str, Any]


def _at(days: int, hour: int) -> datetime:
    base = datetime.now(UTC).replace(hour=hour, minute=0, second=0, microsecond=0)
    return base + timedelta(days=days)


def _text(value: str, *marks: str) -> Node:
    return {"type": "text", "text": value, "marks": [{"type": mark} for mark in marks]}


def _p(*parts: str | Node) -> Node:
    return {
        "type": "paragraph",
        "content": [_text(part) if isinstance(part, str) else part for part in parts],
    }


def _h(level: int, value: str) -> Node:
    return {"type": "heading", "attrs": {"level": level}, "content": [_text(value)]}


def _list(*items: str) -> Node:
    return {
        "type": "bulletList",
        "content": [{"type": "listItem", "content": [_p(i)]} for i in items],
    }


def _quote(value: str) -> Node:
    return {"type": "blockquote", "content": [_p(value)]}


def _cell(kind: str, value: str) -> Node:
    return {"type": kind, "content": [_p(value)]}


def _table(header: list[str], *rows: list[str]) -> Node:
    return {
        "type": "table",
        "content": [
            {"type": "tableRow", "content": [_cell("tableHeader", v) for v in header]},
            *(
                {"type": "tableRow", "content": [_cell("tableCell", v) for v in row]}
                for row in rows
            ),
        ],
    }


def _doc(*blocks: Node) -> dict[str, Any]:
    return {"type": "doc", "content": list(blocks)}


async def seed_blog(session: AsyncSession, users: dict[str, User]) -> None:
    """Authors, staff roles, the classic posts (HTML, as imported from Ghost), the About
    page and both menus."""
    from shared.dev.seed import POSTS  # the classic posts' titles and tags live there

    authors = {
        username: Author(slug=username, name=user.display_name, user_id=user.id)
        for username, user in users.items()
    }
    session.add_all(authors.values())
    for username, role in STAFF:
        await set_staff_role(session, users[username].id, role)
    tags: dict[str, Tag] = {}
    writers = ["ada", "cleo", "ben", "ada", "cleo"]
    for index, (slug, title, excerpt, tag_names) in enumerate(POSTS):
        for name in tag_names:
            tags.setdefault(name, Tag(slug=name.lower(), name=name))
        html = POST_BODIES[slug].strip()
        session.add(
            Post(
                slug=slug,
                title=title,
                excerpt=excerpt,
                html=html,
                plaintext=plain_text(html.replace("<", " <"), limit=1_000_000),
                status="published",
                published_at=_at(-3 * index - 1, 9),
                author=authors[writers[index]],
                authors=[authors[writers[index]]],
                featured=index == 1,
                tags=[tags[name] for name in tag_names],
            )
        )
    session.add(
        Post(
            slug="draft-spring-plans",
            title="Spring plans (draft)",
            author=authors["ada"],
            authors=[authors["ada"]],
            created_by_id=users["ada"].id,
        )
    )
    session.add(
        Post(
            type="page",
            slug="about",
            title="About the cooperative",
            html=ABOUT.strip(),
            plaintext=plain_text(ABOUT.replace("<", " <"), limit=1_000_000),
            status="published",
            published_at=_at(-30, 9),
        )
    )
    menus = {
        "primary": [("Home", "/"), ("About", "/about/"), ("Cooperative", "/tag/cooperative/")],
        "secondary": [("About us", "/about/"), ("Sitemap", "/sitemap.xml")],
    }
    for menu, links in menus.items():
        for position, (label, url) in enumerate(links):
            session.add(NavigationItem(menu=menu, label=label, url=url, position=position))
    await session.flush()


def _showcase(image: str, product: Product | None, event: Event | None) -> dict[str, Any]:
    cards: list[Node] = []
    if product is not None:
        cards.append({"type": "productCard", "attrs": {"id": product.id, "title": product.title}})
    if event is not None:
        cards.append({"type": "eventCard", "attrs": {"id": event.id, "title": event.title}})
    return _doc(
        _p("Every kind of card the editor has, in one post, so you can see how each reads."),
        _h(2, "Pictures"),
        {
            "type": "imageCard",
            "attrs": {
                "src": image,
                "alt": "Jars of honey on a market table",
                "caption": "From the autumn market",
                "width": "wide",
            },
        },
        {
            "type": "gallery",
            "attrs": {
                "images": [{"src": image, "alt": "Honey"}, {"src": image, "alt": "More honey"}],
                "caption": "A small gallery",
            },
        },
        _h(2, "What's on the table"),
        _p("Prices change as stalls update them; the cards below are always today's."),
        *cards,
        _table(
            ["Stall", "Bring", "Price"],
            ["Marsh Honey", "Jars back", "£6"],
            ["Hartley Ceramics", "Bags", "from £12"],
        ),
        _h(2, "Notes"),
        {
            "type": "callout",
            "attrs": {"emoji": "💡"},
            "content": [_p("Bring a bag: the market is plastic-free.")],
        },
        _list("Callouts for tips", "Bookmarks for links", "HTML when nothing else fits"),
        _quote("A post is a conversation with the neighbourhood."),
        {
            "type": "bookmark",
            "attrs": {
                "url": "https://www.ica.coop/en/cooperatives/cooperative-identity",
                "title": "The cooperative identity",
                "description": "The seven principles every cooperative shares.",
            },
        },
        {
            "type": "htmlCard",
            "attrs": {"html": "<p><em>An HTML card</em>: sanitized when saved.</p>"},
        },
        {"type": "horizontalRule"},
        {
            "type": "codeBlock",
            "attrs": {"language": "text"},
            "content": [_text("opening hours: 10:00-16:00")],
        },
        _p("Thanks for reading; tell us what you would like to see next."),
    )


def _prose(title: str, lede: str) -> dict[str, Any]:
    return _doc(
        _p(lede),
        _h(2, title),
        _p("We meet on the first Monday of the month in the community hall."),
        _list("Minutes from the last meeting", "The budget for next quarter"),
        _quote("One member, one vote, whatever they sell or write."),
        _p("Questions go to the board before the meeting, so we can answer them properly."),
    )


async def seed_blog_showcase(session: AsyncSession) -> None:
    """Posts written through the blog service: every card (two authors, featured), a
    members-only post and a scheduled one."""
    ada = await session.scalar(select(User).where(User.username == "ada"))
    cleo = await session.scalar(select(Author).where(Author.slug == "cleo"))
    if ada is None or cleo is None:
        return
    admin = StaffMember(user_id=ada.id, username="ada", name=ada.display_name, role="administrator")
    blog = SqlBlogService()
    photo = await session.scalar(select(Post.feature_image).where(Post.feature_image.is_not(None)))
    product = await session.scalar(select(Product).order_by(Product.id).limit(1))
    event = await session.scalar(select(Event).where(Event.slug == "winter-market"))
    own = await session.scalar(select(Author.id).where(Author.user_id == ada.id))
    showcase = await blog.create_post(
        session,
        admin,
        PostDraft(
            title="Every card in the editor",
            doc=_showcase(photo or "/static/dist/img/logo.svg", product, event),
            excerpt="Images, a gallery, a table, the market's and events' live cards, and more.",
            tags=("Guides", "#showcase"),
            author_ids=tuple(a for a in (own, cleo.id) if a is not None),
            featured=True,
        ),
    )
    await blog.publish_post_as(session, admin, showcase.id)
    members = await blog.create_post(
        session,
        admin,
        PostDraft(
            title="Members' meeting: the budget",
            doc=_prose("The agenda", "For members: what the board proposes for next year."),
            excerpt="What the board proposes for next year, for members to read before voting.",
            tags=("Cooperative",),
            visibility="members",
        ),
    )
    await blog.publish_post_as(session, admin, members.id)
    later = await blog.create_post(
        session,
        admin,
        PostDraft(
            title="Spring seed swap",
            doc=_prose("What to bring", "Our spring seed swap opens next week."),
            excerpt="Bring seeds, take seeds: the spring swap is coming.",
            tags=("Garden",),
        ),
    )
    await blog.schedule_post(session, admin, later.id, _at(2, 9))
