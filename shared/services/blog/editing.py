"""Staff writing: create, save (a revision each), publish, schedule, unpublish, delete.

Every method takes the staff member and checks their role against the post
(`staff.py`), raising PostForbidden; a refused field raises PostError. Writes
record the blog's events (`PostPublished`, `PostUpdated`, `PostUnpublished`,
`PostDeleted`) whose handlers federate the post in the same unit of work.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts.blog import (
    AuthorRecord,
    PostDraft,
    PostError,
    PostFilter,
    PostForbidden,
    ReadingPost,
    RevisionRecord,
    StaffMember,
    StaffPost,
)
from shared.contracts.dtos import PostSummary
from shared.contracts.events import PostDeleted, PostPublished, PostUnpublished, PostUpdated, record
from shared.infrastructure.html import sanitize_post_html
from shared.infrastructure.jobs import enqueue
from shared.models.blog import (
    POST_TYPES,
    Author,
    Post,
    PostAuthor,
    PostRevision,
    PostStatus,
    PostTag,
    PostVisibility,
    StaffRole,
    Tag,
)
from shared.services.blog.reading import post_summary
from shared.services.blog.rendering import render_doc
from shared.services.blog.slugs import choose_slug, slug_from_title
from shared.services.blog.staff import (
    author_for,
    check_can_create,
    check_can_edit,
    check_can_publish,
    owns,
)
from shared.services.federating import fresh

PUBLISH_KIND = "blog.publish_scheduled"
MAX_TITLE = 255
MAX_TAGS = 20
VISIBILITIES = (PostVisibility.PUBLIC, PostVisibility.MEMBERS)


def author_record(author: Author) -> AuthorRecord:
    return AuthorRecord(
        id=author.id,
        slug=author.slug,
        name=author.name,
        bio=author.bio,
        profile_image=author.profile_image,
    )


def staff_post(post: Post) -> StaffPost:
    return StaffPost(
        id=post.id,
        uuid=str(post.uuid),
        type=post.type,
        slug=post.slug,
        title=post.title,
        status=post.status,
        visibility=post.visibility,
        featured=post.featured,
        excerpt=post.excerpt,
        html=post.html,
        doc=post.doc,
        feature_image=post.feature_image,
        published_at=post.published_at,
        updated_at=post.updated_at,
        created_by_id=post.created_by_id,
        authors=tuple(author_record(a) for a in post.authors),
        tags=tuple(tag.name for tag in post.tags),
    )


def revision_record(revision: PostRevision) -> RevisionRecord:
    return RevisionRecord(
        id=revision.id,
        post_id=revision.post_id,
        title=revision.title,
        excerpt=revision.excerpt,
        html=revision.html,
        doc=revision.doc,
        reason=revision.reason,
        created_at=revision.created_at,
        created_by_id=revision.created_by_id,
    )


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


async def _keep_revision(
    session: AsyncSession, post: Post, staff: StaffMember, reason: str
) -> None:
    """A revision of what the post says now, unless the last one says the same."""
    last = await session.scalar(
        select(PostRevision)
        .where(PostRevision.post_id == post.id)
        .order_by(PostRevision.id.desc())
        .limit(1)
    )
    same = last is not None and (last.title, last.doc, last.excerpt) == (
        post.title,
        post.doc,
        post.excerpt,
    )
    if not same or reason == "restore":
        session.add(
            PostRevision(
                post_id=post.id,
                title=post.title,
                doc=post.doc,
                html=post.html,
                excerpt=post.excerpt,
                reason=reason,
                created_by_id=staff.user_id,
            )
        )


async def _loaded(session: AsyncSession, post_id: int) -> Post | None:
    return await fresh(session, Post, post_id)


def _withdrawn(post: Post) -> PostUnpublished:
    return PostUnpublished(
        post_id=post.id,
        uuid=str(post.uuid),
        type=post.type,
        slug=post.slug,
        title=post.title,
        published_at=post.published_at,
    )


class SqlBlogEditing:
    async def publish_post(self, session: AsyncSession, post_id: int) -> PostSummary | None:
        post = await fresh(session, Post, post_id)
        if post is None:
            return None
        post.status = PostStatus.PUBLISHED
        post.published_at = post.published_at or datetime.now(UTC)
        await session.flush()
        record(session, PostPublished(post.id))
        return post_summary(post)

    async def update_post(
        self,
        session: AsyncSession,
        post_id: int,
        *,
        title: str | None = None,
        html: str | None = None,
        excerpt: str | None = None,
    ) -> PostSummary | None:
        post = await fresh(session, Post, post_id)
        if post is None:
            return None
        post.title = title if title is not None else post.title
        post.html = html if html is not None else post.html
        post.excerpt = excerpt if excerpt is not None else post.excerpt
        await session.flush()
        record(session, PostUpdated(post.id))
        return post_summary(post) if post.status == PostStatus.PUBLISHED else None

    async def delete_post(self, session: AsyncSession, post_id: int) -> bool:
        post = await fresh(session, Post, post_id)
        if post is None:
            return False
        deleted = PostDeleted(
            post_id=post.id,
            uuid=str(post.uuid),
            type=post.type,
            slug=post.slug,
            title=post.title,
            published_at=post.published_at,
        )
        await session.delete(post)
        await session.flush()
        record(session, deleted)
        return True

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
        loaded = await _loaded(session, post.id)
        assert loaded is not None
        await _keep_revision(session, loaded, staff, "created")
        await session.flush()
        return staff_post(loaded)

    async def save_post(
        self, session: AsyncSession, staff: StaffMember, post_id: int, draft: PostDraft
    ) -> StaffPost | None:
        """Save the post (a new revision when it changed); a published one records
        PostUpdated (an Update to followers). None when there is no such post."""
        post = await _loaded(session, post_id)
        if post is None:
            return None
        check_can_edit(staff, post)
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
        post = await _loaded(session, post_id)
        assert post is not None
        await _keep_revision(session, post, staff, "save")
        if post.status == PostStatus.PUBLISHED:
            record(session, PostUpdated(post.id))
            if was_public and post.visibility != PostVisibility.PUBLIC:
                record(session, _withdrawn(post))  # members-only never federates its body
        await session.flush()
        return staff_post(post)

    async def get_staff_post(
        self, session: AsyncSession, staff: StaffMember, post_id: int
    ) -> StaffPost | None:
        """The post for the editor; None when unknown. PostForbidden when not theirs."""
        post = await _loaded(session, post_id)
        if post is None:
            return None
        check_can_edit(staff, post)
        return staff_post(post)

    async def publish_post_as(
        self, session: AsyncSession, staff: StaffMember, post_id: int
    ) -> StaffPost | None:
        """Publish now (PostPublished: Create to followers). None when unknown."""
        post = await _loaded(session, post_id)
        if post is None:
            return None
        check_can_publish(staff, post)
        if post.status != PostStatus.PUBLISHED:
            post.status = PostStatus.PUBLISHED
            post.published_at = datetime.now(UTC)
            await session.flush()
            record(session, PostPublished(post.id))
        return staff_post(post)

    async def schedule_post(
        self, session: AsyncSession, staff: StaffMember, post_id: int, at: datetime
    ) -> StaffPost | None:
        """Schedule publication at `at` (aware, in the future): a durable job publishes it
        then, whatever restarts happen meanwhile. None when unknown."""
        if at.tzinfo is None:
            raise PostError("publish_at", "The time needs a time zone.")
        if at <= datetime.now(UTC):
            raise PostError("publish_at", "Choose a time in the future, or publish now.")
        post = await _loaded(session, post_id)
        if post is None:
            return None
        check_can_publish(staff, post)
        if post.status == PostStatus.PUBLISHED:
            raise PostError("publish_at", "The post is published already; unpublish it first.")
        post.status = PostStatus.SCHEDULED
        post.published_at = at
        await session.flush()
        payload = {"post_id": post.id, "at": at.isoformat()}
        await enqueue(session, PUBLISH_KIND, payload, run_at=at, key=f"post-{post.id}-{at}")
        return staff_post(post)

    async def unpublish_post(
        self, session: AsyncSession, staff: StaffMember, post_id: int
    ) -> StaffPost | None:
        """Back to draft (a scheduled post stops being scheduled); a published one records
        PostUnpublished (a Delete to followers). None when unknown."""
        post = await _loaded(session, post_id)
        if post is None:
            return None
        check_can_publish(staff, post)
        if post.status == PostStatus.PUBLISHED:
            record(session, _withdrawn(post))
        post.status = PostStatus.DRAFT
        await session.flush()
        return staff_post(post)

    async def delete_post_as(self, session: AsyncSession, staff: StaffMember, post_id: int) -> bool:
        """Delete (contributors: their own drafts only). False when unknown."""
        post = await _loaded(session, post_id)
        if post is None:
            return False
        if staff.role == StaffRole.CONTRIBUTOR and (
            post.status != PostStatus.DRAFT or not owns(staff, post)
        ):
            raise PostForbidden("Contributors delete only their own drafts.")
        check_can_edit(staff, post)
        return await self.delete_post(session, post_id)

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

    async def list_revisions(
        self, session: AsyncSession, staff: StaffMember, post_id: int
    ) -> list[RevisionRecord] | None:
        """The post's revisions, newest first; None when there is no such post."""
        post = await _loaded(session, post_id)
        if post is None:
            return None
        check_can_edit(staff, post)
        revisions = await session.scalars(
            select(PostRevision)
            .where(PostRevision.post_id == post_id)
            .order_by(PostRevision.id.desc())
        )
        return [revision_record(r) for r in revisions]

    async def restore_revision(
        self, session: AsyncSession, staff: StaffMember, post_id: int, revision_id: int
    ) -> StaffPost | None:
        """Make the post say what the revision said; that is a new revision itself.
        None when the post or that revision of it is unknown."""
        post = await _loaded(session, post_id)
        revision = await session.get(PostRevision, revision_id)
        if post is None or revision is None or revision.post_id != post_id:
            return None
        check_can_edit(staff, post)
        rendered = render_doc(revision.doc)
        post.title, post.doc, post.excerpt = revision.title, revision.doc, revision.excerpt
        post.html, post.plaintext = rendered.html, rendered.plaintext
        await session.flush()
        await _keep_revision(session, post, staff, "restore")
        if post.status == PostStatus.PUBLISHED:
            record(session, PostUpdated(post.id))
        await session.flush()
        return staff_post(post)


async def publish_due(session: AsyncSession, post_id: int, at: str | None) -> bool:
    """Publish a scheduled post whose time has come (the job's work). A post that was
    unpublished or rescheduled since (`at` no longer its time) is left alone."""
    post = await _loaded(session, post_id)
    if post is None or post.status != PostStatus.SCHEDULED or post.published_at is None:
        return False
    if at is not None and datetime.fromisoformat(at) != post.published_at:
        return False
    if post.published_at > datetime.now(UTC):
        return False
    post.status = PostStatus.PUBLISHED
    await session.flush()
    record(session, PostPublished(post.id))
    return True


async def due_post_ids(session: AsyncSession) -> list[int]:
    """Scheduled posts whose time has passed (the minutely sweep's catch-up)."""
    rows = await session.scalars(
        select(Post.id).where(
            Post.status == PostStatus.SCHEDULED, Post.published_at <= datetime.now(UTC)
        )
    )
    return list(rows)


def draft_from_json(data: Any) -> PostDraft:
    """The editor's JSON body as a draft; PostError naming the field that is wrong."""
    if not isinstance(data, dict):
        raise PostError("body", "Send the post as a JSON object.")
    text_fields = ("title", "excerpt", "slug", "type", "visibility")
    for name in text_fields:
        if name in data and not isinstance(data[name], str):
            raise PostError(name, f"{name} must be text.")
    tags = data.get("tags", [])
    authors = data.get("authors", [])
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise PostError("tags", "tags must be a list of names.")
    if not isinstance(authors, list) or not all(
        isinstance(a, int) and not isinstance(a, bool) for a in authors
    ):
        raise PostError("authors", "authors must be a list of author ids.")
    image = data.get("feature_image")
    if image is not None and not isinstance(image, str):
        raise PostError("feature_image", "feature_image must be text.")
    return PostDraft(
        title=data.get("title", ""),
        doc=data.get("doc"),
        excerpt=data.get("excerpt", ""),
        slug=data.get("slug", ""),
        type=data.get("type", "post"),
        tags=tuple(tags),
        author_ids=tuple(authors),
        featured=bool(data.get("featured", False)),
        visibility=data.get("visibility", "public"),
        feature_image=image,
    )
