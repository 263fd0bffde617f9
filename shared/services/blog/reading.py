"""Reading the blog: published posts for pages, lists, feeds, search and the sitemap.

Drafts and scheduled posts are never read here. A members-only post is listed
(title and excerpt) but its body is only handed out for a signed-in member.
"""

from __future__ import annotations

import html as html_lib
from datetime import datetime

from sqlalchemy import Select, func, literal_column, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import defer

from shared.contracts.blog import AuthorRecord, ReadingPost, SearchHit
from shared.contracts.dtos import PostRecord, PostSummary, TagRecord
from shared.infrastructure.html import sanitize_post_html
from shared.models.blog import (
    Author,
    Post,
    PostAuthor,
    PostStatus,
    PostTag,
    PostType,
    PostVisibility,
    Tag,
)
from shared.services.navigation import SqlBlogNavigation

READABLE = (PostVisibility.PUBLIC, PostVisibility.MEMBERS)
MAX_QUERY = 200
# ts_headline marks matches with these; they cannot occur in text, so the snippet is
# escaped as a whole and only the marks become <mark> (the body's own "<" stays text).
_START, _STOP = "\x02", "\x03"


def post_summary(post: Post) -> PostSummary:
    assert post.published_at is not None  # guaranteed by the status check constraint
    names = [author.name for author in post.authors] or ([post.author.name] if post.author else [])
    return PostSummary(
        id=post.id,
        slug=post.slug,
        title=post.title,
        excerpt=post.excerpt,
        feature_image=post.feature_image,
        author_name=", ".join(names) or None,
        published_at=post.published_at,
        tags=tuple(tag.name for tag in post.tags if not tag.name.startswith("#")),
    )


def _author(author: Author) -> AuthorRecord:
    return AuthorRecord(author.id, author.slug, author.name, author.bio, author.profile_image)


def reading_post(post: Post, *, with_body: bool) -> ReadingPost:
    assert post.published_at is not None
    authors = post.authors or ([post.author] if post.author else [])
    return ReadingPost(
        id=post.id,
        uuid=str(post.uuid),
        type=post.type,
        slug=post.slug,
        title=post.title,
        html=sanitize_post_html(post.html) if with_body else "",
        excerpt=post.excerpt,
        feature_image=post.feature_image,
        published_at=post.published_at,
        updated_at=post.updated_at,
        visibility=post.visibility,
        featured=post.featured,
        authors=tuple(_author(a) for a in authors),
        tags=tuple((t.slug, t.name) for t in post.tags if not t.name.startswith("#")),
    )


def _published(*visibilities: str) -> Select[Post]:
    return select(Post).where(
        Post.type == PostType.POST,
        Post.status == PostStatus.PUBLISHED,
        Post.visibility.in_(visibilities or READABLE),
    )


def _filtered(query: Select[Post], tag_slug: str | None, author_slug: str | None) -> Select[Post]:
    if tag_slug is not None:
        query = query.where(Post.tags.any(Tag.slug == tag_slug))
    if author_slug is not None:
        query = query.where(Post.authors.any(Author.slug == author_slug))
    return query.order_by(Post.published_at.desc(), Post.id.desc())


class SqlBlogReading(SqlBlogNavigation):
    async def get_published_post(self, session: AsyncSession, slug: str) -> PostRecord | None:
        post = await session.scalar(
            select(Post)
            .where(
                Post.slug == slug,
                Post.status == PostStatus.PUBLISHED,
                Post.visibility == PostVisibility.PUBLIC,
            )
            .order_by(Post.type.desc())  # "post" > "page": a post wins a tie of slugs
            .limit(1)
        )
        if post is None:
            return None
        summary = post_summary(post)
        return PostRecord(
            id=post.id,
            type=post.type,
            slug=post.slug,
            title=post.title,
            html=sanitize_post_html(post.html),
            excerpt=post.excerpt,
            feature_image=post.feature_image,
            author_name=summary.author_name,
            published_at=summary.published_at,
            tags=summary.tags,
        )

    async def list_published_posts(
        self,
        session: AsyncSession,
        *,
        limit: int = 20,
        offset: int = 0,
        tag_slug: str | None = None,
    ) -> list[PostSummary]:
        query = _filtered(_published(PostVisibility.PUBLIC), tag_slug, None)
        posts = await session.scalars(query.limit(limit).offset(offset))
        return [post_summary(post) for post in posts]

    async def get_tag(self, session: AsyncSession, slug: str) -> TagRecord | None:
        tag = await session.scalar(select(Tag).where(Tag.slug == slug))
        if tag is None or tag.name.startswith("#"):  # internal tags have no page
            return None
        return TagRecord(slug=tag.slug, name=tag.name, description=tag.description)

    async def get_author(self, session: AsyncSession, slug: str) -> AuthorRecord | None:
        """The author with this slug, or None."""
        author = await session.scalar(select(Author).where(Author.slug == slug))
        return _author(author) if author else None

    async def list_authors(self, session: AsyncSession) -> list[AuthorRecord]:
        """Every author, by name (the editor's byline picker)."""
        return [_author(a) for a in await session.scalars(select(Author).order_by(Author.name))]

    async def get_reading_post(
        self, session: AsyncSession, slug: str, *, member: bool
    ) -> ReadingPost | None:
        """The published post or page at `/<slug>/` (a post wins a tie); a members-only
        body is empty unless `member`. None when there is none."""
        post = await session.scalar(
            select(Post)
            .where(
                Post.slug == slug,
                Post.status == PostStatus.PUBLISHED,
                Post.visibility.in_(READABLE),
            )
            .order_by(Post.type.desc())
            .limit(1)
        )
        if post is None:
            return None
        return reading_post(post, with_body=member or post.visibility == PostVisibility.PUBLIC)

    async def list_reading_posts(
        self,
        session: AsyncSession,
        *,
        page: int = 1,
        per_page: int = 10,
        tag_slug: str | None = None,
        author_slug: str | None = None,
        featured: bool | None = None,
    ) -> tuple[list[ReadingPost], bool]:
        """A page of published posts (members-only ones too, without bodies), newest
        first, and whether a next page exists."""
        # A list shows no bodies: the documents stay in the database.
        query = _filtered(_published(), tag_slug, author_slug).options(
            defer(Post.doc), defer(Post.plaintext), defer(Post.html)
        )
        if featured is not None:
            query = query.where(Post.featured.is_(featured))
        rows = list(await session.scalars(query.limit(per_page + 1).offset((page - 1) * per_page)))
        return [reading_post(p, with_body=False) for p in rows[:per_page]], len(rows) > per_page

    async def list_feed_posts(
        self,
        session: AsyncSession,
        *,
        tag_slug: str | None = None,
        author_slug: str | None = None,
        limit: int = 20,
    ) -> list[ReadingPost]:
        """The newest public posts with their bodies (feeds never carry members' posts)."""
        query = _filtered(_published(PostVisibility.PUBLIC), tag_slug, author_slug)
        return [reading_post(p, with_body=True) for p in await session.scalars(query.limit(limit))]

    async def search_posts(
        self, session: AsyncSession, query: str, *, limit: int = 20
    ) -> list[SearchHit]:
        """Public posts matching `query` (web-search syntax: words, "phrases", -not, or)
        in title, excerpt or body, best first, each with a highlighted snippet."""
        query = " ".join(query.split())[:MAX_QUERY]
        if not query:
            return []
        tsquery = func.websearch_to_tsquery(literal_column("'simple'::regconfig"), query)
        rank = func.ts_rank_cd(Post.search_vector, tsquery)
        best = (
            select(Post.id, rank.label("rank"))
            .where(
                Post.search_vector.op("@@")(tsquery),
                Post.type == PostType.POST,
                Post.status == PostStatus.PUBLISHED,
                Post.visibility == PostVisibility.PUBLIC,
            )
            .order_by(text("rank DESC"), Post.published_at.desc())
            .limit(limit)
            .subquery()
        )
        options = f"StartSel={_START}, StopSel={_STOP}, MaxFragments=2, MaxWords=24, MinWords=8"
        body = func.coalesce(func.nullif(Post.plaintext, ""), Post.excerpt, Post.title)
        headline = func.ts_headline(
            literal_column("'simple'::regconfig"), Post.excerpt + " " + body, tsquery, options
        )
        rows = await session.execute(
            select(Post.slug, Post.title, Post.published_at, best.c.rank, headline)
            .join(best, best.c.id == Post.id)
            .order_by(best.c.rank.desc(), Post.published_at.desc())
        )
        return [
            SearchHit(slug, title, _marked(snippet), published_at, float(score))
            for slug, title, published_at, score, snippet in rows
        ]

    async def list_sitemap_entries(self, session: AsyncSession) -> list[tuple[str, datetime]]:
        """(path, last modified) of every public page a crawler may index."""
        posts = await session.execute(
            select(Post.slug, Post.updated_at).where(
                Post.status == PostStatus.PUBLISHED, Post.visibility.in_(READABLE)
            )
        )
        entries = [(f"/{slug}/", updated) for slug, updated in posts]
        tags = await session.execute(
            select(Tag.slug, Tag.updated_at).where(
                ~Tag.name.startswith("#"), Tag.id.in_(select(PostTag.tag_id))
            )
        )
        entries += [(f"/tag/{slug}/", updated) for slug, updated in tags]
        authors = await session.execute(
            select(Author.slug, Author.updated_at).where(
                Author.id.in_(select(PostAuthor.author_id))
            )
        )
        entries += [(f"/author/{slug}/", updated) for slug, updated in authors]
        return entries


def _marked(snippet: str) -> str:
    escaped = html_lib.escape(snippet)
    return escaped.replace(_START, "<mark>").replace(_STOP, "</mark>")
