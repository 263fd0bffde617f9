"""The blog's staff-side contract: drafts in, staff views and revisions out, and its errors.

Readers' DTOs (`PostSummary`, `PostRecord`, `TagRecord`) stay in dtos.py; these
are what the editor, the staff list and search exchange with the blog service.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession


class PostError(ValueError):
    """A post was refused; `field` names the form field to blame, `message` says why."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


class StaffError(ValueError):
    """A staff role could not be given; `field` names the form field to blame."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


class PostForbidden(PermissionError):
    """The staff member's role does not allow this on this post (a route answers 403)."""


@dataclass(frozen=True, slots=True)
class StaffMember:
    """Who is editing: the member and their blog role (administrator, editor, author,
    contributor)."""

    user_id: int
    username: str
    name: str
    role: str

    @property
    def can_publish(self) -> bool:
        return self.role != "contributor"

    @property
    def edits_everyone(self) -> bool:
        return self.role in ("administrator", "editor")


@dataclass(frozen=True, slots=True)
class PostDraft:
    """What the editor submits. An empty slug is made from the title; tags are names
    (a leading `#` makes an internal tag, never shown to readers)."""

    title: str
    doc: dict[str, Any] | None = None
    excerpt: str = ""
    slug: str = ""
    type: str = "post"
    tags: tuple[str, ...] = ()
    author_ids: tuple[int, ...] = ()
    featured: bool = False
    visibility: str = "public"
    feature_image: str | None = None


@dataclass(frozen=True, slots=True)
class AuthorRecord:
    id: int
    slug: str
    name: str
    bio: str
    profile_image: str | None


@dataclass(frozen=True, slots=True)
class StaffPost:
    """A post or page as staff see it, whatever its status."""

    id: int
    uuid: str
    type: str
    slug: str
    title: str
    status: str
    visibility: str
    featured: bool
    excerpt: str
    html: str
    doc: dict[str, Any] | None
    feature_image: str | None
    published_at: datetime | None
    updated_at: datetime
    created_by_id: int | None
    authors: tuple[AuthorRecord, ...] = ()
    tags: tuple[str, ...] = ()
    newsletter_id: int | None = None  # emailed to it when it goes live
    # Set while Ghost owns the post (imported, not detached): read-only in our editor.
    ghost_id: str | None = None


@dataclass(frozen=True, slots=True)
class RevisionRecord:
    id: int
    post_id: int
    title: str
    excerpt: str
    html: str
    doc: dict[str, Any] | None
    reason: str
    created_at: datetime
    created_by_id: int | None


@dataclass(frozen=True, slots=True)
class SearchHit:
    """A published post found by search: `snippet` is HTML with the matches in `<mark>`."""

    slug: str
    title: str
    snippet: str
    published_at: datetime
    rank: float


@dataclass(frozen=True, slots=True)
class PostFilter:
    """The staff list's filters; None means any."""

    status: str | None = None
    tag: str | None = None
    author: str | None = None
    type: str = "post"
    limit: int = 50
    offset: int = 0


@dataclass(frozen=True, slots=True)
class ReadingPost:
    """A published post for a reader's page or a feed: the public fields, bylines and
    whether the body is for members only (then `html` is empty unless the viewer may read)."""

    id: int
    uuid: str
    type: str
    slug: str
    title: str
    html: str
    excerpt: str
    feature_image: str | None
    published_at: datetime
    updated_at: datetime
    visibility: str
    featured: bool
    authors: tuple[AuthorRecord, ...] = ()
    tags: tuple[tuple[str, str], ...] = field(default=())  # (slug, name), public tags only


class BlogReader(Protocol):
    """What readers' pages, feeds, search and the sitemap ask of the blog."""

    async def get_author(self, session: AsyncSession, slug: str) -> AuthorRecord | None:
        """The author with this slug, or None."""
        ...

    async def list_authors(self, session: AsyncSession) -> list[AuthorRecord]:
        """Every author, by name; empty when there are none."""
        ...

    async def get_reading_post(
        self, session: AsyncSession, slug: str, *, member: bool
    ) -> ReadingPost | None:
        """The published post or page at `/<slug>/` (a post wins a tie), public or
        members-only; a members-only body is empty unless `member`. None when none."""
        ...

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
        """A page of published posts (not pages), newest first, members-only ones
        without bodies, and whether another page follows."""
        ...

    async def list_feed_posts(
        self,
        session: AsyncSession,
        *,
        tag_slug: str | None = None,
        author_slug: str | None = None,
        limit: int = 20,
    ) -> list[ReadingPost]:
        """The newest public posts with bodies, for RSS and Atom; empty when none."""
        ...

    async def search_posts(
        self, session: AsyncSession, query: str, *, limit: int = 20
    ) -> list[SearchHit]:
        """Public posts matching `query` (websearch syntax) in title, excerpt or body,
        best first, with escaped snippets whose only markup is <mark>; empty for an
        empty query or no match."""
        ...

    async def list_sitemap_entries(self, session: AsyncSession) -> list[tuple[str, datetime]]:
        """(path, last modified) of every published post and page, used tag and author."""
        ...


class BlogStaffRoles(Protocol):
    async def list_staff(self, session: AsyncSession) -> list[StaffMember]:
        """Every member with a blog role (site admins as administrators), by name."""
        ...

    async def assign_staff_role(
        self, session: AsyncSession, username: str, role: str | None
    ) -> StaffMember:
        """The member with their new role (None takes it away). Raises StaffError naming
        the field: no such member, an unknown role, or a site admin (always one)."""
        ...


class BlogWriter(Protocol):
    """What the staff editor asks of the blog. Every method checks the staff member's
    role against the post and raises PostForbidden when it does not allow the action;
    PostError names a refused field. Writes record the blog's events, whose handlers
    federate in the same unit of work."""

    async def create_post(
        self, session: AsyncSession, staff: StaffMember, draft: PostDraft
    ) -> StaffPost:
        """A new draft (first revision kept; slug from the title unless typed)."""
        ...

    async def save_post(
        self, session: AsyncSession, staff: StaffMember, post_id: int, draft: PostDraft
    ) -> StaffPost | None:
        """The post saved (a revision when it changed; PostUpdated when published);
        None when unknown."""
        ...

    async def get_staff_post(
        self, session: AsyncSession, staff: StaffMember, post_id: int
    ) -> StaffPost | None:
        """The post for the editor, any status; None when unknown."""
        ...

    async def list_staff_posts(
        self, session: AsyncSession, staff: StaffMember, wanted: PostFilter
    ) -> tuple[list[StaffPost], bool]:
        """Posts matching `wanted`, last edited first (contributors: their own only), and
        whether another page follows."""
        ...

    async def list_tag_names(self, session: AsyncSession) -> list[tuple[str, str]]:
        """(slug, name) of every tag, internal ones too, by name."""
        ...

    def preview_of(self, post: StaffPost) -> ReadingPost:
        """The post as its published page would show it."""
        ...

    async def publish_post_as(
        self,
        session: AsyncSession,
        staff: StaffMember,
        post_id: int,
        *,
        newsletter_id: int | None = None,
    ) -> StaffPost | None:
        """Published now (PostPublished: a Create to followers, and the issue queued when
        `newsletter_id` names an active newsletter; PostError naming `newsletter_id`
        otherwise); None when unknown."""
        ...

    async def schedule_post(
        self,
        session: AsyncSession,
        staff: StaffMember,
        post_id: int,
        at: datetime,
        *,
        newsletter_id: int | None = None,
    ) -> StaffPost | None:
        """Scheduled for `at` (future, aware) by a durable job, emailed to `newsletter_id`
        when it goes live; None when unknown."""
        ...

    async def post_newsletter_id(self, session: AsyncSession, post_id: int) -> int | None:
        """The newsletter a published post is to be emailed to, if any."""
        ...

    async def unpublish_post(
        self, session: AsyncSession, staff: StaffMember, post_id: int
    ) -> StaffPost | None:
        """Back to draft (a published one: PostUnpublished, a Delete); None when unknown."""
        ...

    async def delete_post_as(self, session: AsyncSession, staff: StaffMember, post_id: int) -> bool:
        """Deleted (PostDeleted); False when unknown."""
        ...

    async def detach_post(
        self, session: AsyncSession, staff: StaffMember, post_id: int
    ) -> StaffPost | None:
        """Taken over from Ghost (editors, admins): editable here, left alone by sync."""
        ...

    async def list_revisions(
        self, session: AsyncSession, staff: StaffMember, post_id: int
    ) -> list[RevisionRecord] | None:
        """The post's revisions, newest first; None when the post is unknown."""
        ...

    async def restore_revision(
        self, session: AsyncSession, staff: StaffMember, post_id: int, revision_id: int
    ) -> StaffPost | None:
        """The post saying what the revision said (a new revision); None when either is
        unknown or the revision is another post's."""
        ...
