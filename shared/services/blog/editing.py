"""Staff writing: create and save posts (a revision each), the staff list, preview.

Every method takes the staff member and checks their role against the post
(`staff.py`), raising PostForbidden; a refused field raises PostError. Writes
record the blog's events (`PostPublished`, `PostUpdated`, `PostUnpublished`,
`PostDeleted`) whose handlers federate the post in the same unit of work.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts.blog import (
    PostDraft,
    PostError,
    PostFilter,
    ReadingPost,
    StaffMember,
    StaffPost,
)
from shared.contracts.events import PostUpdated, record
from shared.infrastructure.html import sanitize_post_html
from shared.models.blog import (
    POST_TYPES,
    Author,
    Post,
    PostAuthor,
    PostStatus,
    PostTag,
    PostVisibility,
    StaffRole,
    Tag,
)
from shared.services.blog.records import loaded, staff_post, withdrawn
from shared.services.blog.rendering import render_doc
from shared.services.blog.revisions import keep_revision
from shared.services.blog.slugs import choose_slug, slug_from_title
from shared.services.blog.staff import (
    author_for,
    check_can_change,
    check_can_create,
    check_can_edit,
)

MAX_TITLE = 255
MAX_TAGS = 20
VISIBILITIES = (PostVisibility.PUBLIC, PostVisibility.MEMBERS)


def _checked(draft: PostDraft) -> PostDraft:
    if not draft.title.strip():
        raise PostError("title", "Give the post a title.")
    if len(draft.title) > MAX_TITLE:
        raise PostError("title", f"A title is at most {MAX_TITLE} characters.")
    if draft.type not in POST_TYPES:
        raise PostError("type", "A post is a post or a page.")
    if draft.visibility not in VISIBILITIES:
        raise PostError("visibility", "Visibility is public or members only.")
    if draft.doc is not None and not isinstance(draft.doc, dict):
        raise PostError("doc", "The document is not the editor's JSON.")
    if len(draft.tags) > MAX_TAGS:
        raise PostError("tags", f"At most {MAX_TAGS} tags.")
    image = (draft.feature_image or "").strip()
    if image and not (image.startswith("/media/") or image.startswith("https://")):
        raise PostError("feature_image", "Upload the feature image, or give an https:// URL.")
    return draft


async def _tags(session: AsyncSession, names: tuple[str, ...]) -> list[Tag]:
    """The tags of these names, made when new; `#name` is internal (slug `hash-name`)."""
    tags: list[Tag] = []
    for raw in names:
        name = " ".join(raw.split())[:191]
        if not name or name == "#":
            continue
        slug = ("hash-" if name.startswith("#") else "") + slug_from_title(name.lstrip("#"))
        tag = await session.scalar(select(Tag).where(Tag.slug == slug))
        if tag is None:
            tag = Tag(slug=slug, name=name)
            session.add(tag)
            await session.flush()
        if tag not in tags:
            tags.append(tag)
    return tags


async def _authors(session: AsyncSession, staff: StaffMember, ids: tuple[int, ...]) -> list[int]:
    """Editors pick the bylines; anyone else writes under their own."""
    if staff.edits_everyone and ids:
        found = set(await session.scalars(select(Author.id).where(Author.id.in_(ids))))
        if found != set(ids):
            raise PostError("authors", "One of the chosen authors does not exist.")
        return list(dict.fromkeys(ids))
    return [(await author_for(session, staff)).id]


async def _set_links(
    session: AsyncSession, post: Post, tags: list[Tag], author_ids: list[int]
) -> None:
    await session.execute(delete(PostTag).where(PostTag.post_id == post.id))
    await session.execute(delete(PostAuthor).where(PostAuthor.post_id == post.id))
    if tags:
        await session.execute(
            insert(PostTag),
            [{"post_id": post.id, "tag_id": t.id, "position": i} for i, t in enumerate(tags)],
        )
    await session.execute(
        insert(PostAuthor),
        [{"post_id": post.id, "author_id": a, "position": i} for i, a in enumerate(author_ids)],
    )
    post.author_id = author_ids[0] if author_ids else None


class SqlBlogEditing:
    async def create_post(
        self, session: AsyncSession, staff: StaffMember, draft: PostDraft
    ) -> StaffPost:
        """A new draft from `draft`, its first revision kept. Raises PostError for a
        refused field, PostForbidden when the role may not write this type."""
        check_can_create(staff, _checked(draft).type)
        slug = await choose_slug(session, typed=draft.slug, title=draft.title)
        rendered = render_doc(draft.doc)
        post = Post(
            type=draft.type,
            slug=slug,
            title=draft.title.strip(),
            doc=draft.doc,
            html=rendered.html,
            plaintext=rendered.plaintext,
            excerpt=draft.excerpt.strip(),
            visibility=draft.visibility,
            featured=draft.featured and staff.can_publish,
            feature_image=(draft.feature_image or "").strip() or None,
            created_by_id=staff.user_id,
        )
        session.add(post)
        await session.flush()
        tags = await _tags(session, draft.tags)
        await _set_links(session, post, tags, await _authors(session, staff, draft.author_ids))
        made = await loaded(session, post.id)
        assert made is not None
        await keep_revision(session, made, staff, "created")
        await session.flush()
        return staff_post(made)

    async def save_post(
        self, session: AsyncSession, staff: StaffMember, post_id: int, draft: PostDraft
    ) -> StaffPost | None:
        """Save the post (a new revision when it changed); a published one records
        PostUpdated (an Update to followers). None when there is no such post."""
        post = await loaded(session, post_id)
        if post is None:
            return None
        check_can_change(staff, post)
        _checked(draft)
        if draft.type != post.type:
            raise PostError("type", "A post cannot become a page, or a page a post.")
        post.slug = await choose_slug(
            session, typed=draft.slug or post.slug, title=draft.title, post_id=post.id
        )
        rendered = render_doc(draft.doc)
        post.title = draft.title.strip()
        post.doc = draft.doc
        post.html, post.plaintext = rendered.html, rendered.plaintext
        post.excerpt = draft.excerpt.strip()
        post.feature_image = (draft.feature_image or "").strip() or None
        if staff.can_publish:
            post.featured = draft.featured
        was_public = post.visibility == PostVisibility.PUBLIC
        post.visibility = draft.visibility
        author_ids = [a.id for a in post.authors]
        if staff.edits_everyone and draft.author_ids:
            author_ids = await _authors(session, staff, draft.author_ids)
        await _set_links(session, post, await _tags(session, draft.tags), author_ids)
        await session.flush()
        post = await loaded(session, post_id)
        assert post is not None
        await keep_revision(session, post, staff, "save")
        if post.status == PostStatus.PUBLISHED:
            record(session, PostUpdated(post.id))
            if was_public and post.visibility != PostVisibility.PUBLIC:
                record(session, withdrawn(post))  # members-only never federates its body
        await session.flush()
        return staff_post(post)

    async def get_staff_post(
        self, session: AsyncSession, staff: StaffMember, post_id: int
    ) -> StaffPost | None:
        """The post for the editor; None when unknown. PostForbidden when not theirs."""
        post = await loaded(session, post_id)
        if post is None:
            return None
        check_can_edit(staff, post)
        return staff_post(post)

    async def list_staff_posts(
        self, session: AsyncSession, staff: StaffMember, wanted: PostFilter
    ) -> tuple[list[StaffPost], bool]:
        """Posts of any status, last edited first, filtered; contributors see only their
        own. The page asked for and whether there is a next one."""
        query = select(Post).where(Post.type == wanted.type)
        if wanted.status is not None:
            query = query.where(Post.status == wanted.status)
        if wanted.tag is not None:
            query = query.where(Post.tags.any(Tag.slug == wanted.tag))
        if wanted.author is not None:
            query = query.where(Post.authors.any(Author.slug == wanted.author))
        if not staff.edits_everyone and staff.role == StaffRole.CONTRIBUTOR:
            query = query.where(
                (Post.created_by_id == staff.user_id)
                | Post.authors.any(Author.user_id == staff.user_id)
            )
        rows = list(
            await session.scalars(
                query.order_by(Post.updated_at.desc(), Post.id.desc())
                .limit(wanted.limit + 1)
                .offset(wanted.offset)
            )
        )
        return [staff_post(p) for p in rows[: wanted.limit]], len(rows) > wanted.limit

    async def list_tag_names(self, session: AsyncSession) -> list[tuple[str, str]]:
        """(slug, name) of every tag, internal ones included, by name."""
        rows = await session.execute(select(Tag.slug, Tag.name).order_by(Tag.name))
        return [(slug, name) for slug, name in rows]

    def preview_of(self, post: StaffPost) -> ReadingPost:
        """The post as its published page would show it (now, if it has no date yet)."""
        return ReadingPost(
            id=post.id,
            uuid=post.uuid,
            type=post.type,
            slug=post.slug,
            title=post.title,
            html=sanitize_post_html(post.html),
            excerpt=post.excerpt,
            feature_image=post.feature_image,
            published_at=post.published_at or datetime.now(UTC),
            updated_at=post.updated_at,
            visibility=post.visibility,
            featured=post.featured,
            authors=post.authors,
            tags=tuple((slug_from_title(t), t) for t in post.tags if not t.startswith("#")),
        )
