"""The blog's staff-side contract: drafts in, staff views and revisions out, and its errors.

Readers' DTOs (`PostSummary`, `PostRecord`, `TagRecord`) stay in dtos.py; these
are what the editor, the staff list and search exchange with the blog service.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


class PostError(ValueError):
    """A post was refused; `field` names the form field to blame, `message` says why."""

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
