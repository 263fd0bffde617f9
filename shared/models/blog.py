"""Blog: posts and pages, tags, authors, navigation menus, Ghost sync state."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Computed,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB, TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shared.models.base import Base, Timestamped


class PostStatus(StrEnum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"
    PUBLISHED = "published"


class PostVisibility(StrEnum):
    PUBLIC = "public"
    MEMBERS = "members"
    PAID = "paid"


class PostType(StrEnum):
    POST = "post"
    PAGE = "page"


class StaffRole(StrEnum):
    """Ghost's staff roles, most powerful first."""

    ADMINISTRATOR = "administrator"
    EDITOR = "editor"
    AUTHOR = "author"
    CONTRIBUTOR = "contributor"


POST_STATUSES = tuple(PostStatus)
STAFF_ROLES = tuple(StaffRole)

# Title weighs most, then the excerpt, then the body; 'simple' keeps words as written
# (no stemming tied to one language: members write in several).
SEARCH_VECTOR = (
    "setweight(to_tsvector('simple'::regconfig, coalesce(title, '')), 'A') || "
    "setweight(to_tsvector('simple'::regconfig, coalesce(excerpt, '')), 'B') || "
    "setweight(to_tsvector('simple'::regconfig, coalesce(plaintext, '')), 'C')"
)
POST_VISIBILITIES = tuple(PostVisibility)
POST_TYPES = tuple(PostType)


class Author(Timestamped, Base):
    """A byline. Linked to a member when the writer has an account; Ghost staff otherwise."""

    __tablename__ = "authors"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(191), unique=True)
    name: Mapped[str] = mapped_column(String(191))
    bio: Mapped[str] = mapped_column(Text, default="", server_default="")
    profile_image: Mapped[str | None] = mapped_column(String(2048))
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), unique=True
    )
    ghost_id: Mapped[str | None] = mapped_column(String(24), unique=True)


class PostTag(Base):
    __tablename__ = "post_tags"

    post_id: Mapped[int] = mapped_column(
        ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True
    )
    tag_id: Mapped[int] = mapped_column(
        ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class PostAuthor(Base):
    """A byline of a post: several authors each, in order (the first is the primary)."""

    __tablename__ = "post_authors"

    post_id: Mapped[int] = mapped_column(
        ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True
    )
    author_id: Mapped[int] = mapped_column(
        ForeignKey("authors.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class Tag(Timestamped, Base):
    __tablename__ = "tags"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(191), unique=True)
    name: Mapped[str] = mapped_column(String(191))
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
    ghost_id: Mapped[str | None] = mapped_column(String(24), unique=True)


class Post(Timestamped, Base):
    """A post or a page (Ghost's model: one table, a type column)."""

    __tablename__ = "posts"
    __table_args__ = (
        UniqueConstraint("type", "slug"),
        CheckConstraint("status IN ('draft', 'scheduled', 'published')", name="status"),
        CheckConstraint("visibility IN ('public', 'members', 'paid')", name="visibility"),
        CheckConstraint("type IN ('post', 'page')", name="type"),
        CheckConstraint(
            "status = 'draft' OR published_at IS NOT NULL", name="published_at_when_not_draft"
        ),
        Index("ix_posts_status_published_at", "status", "published_at"),
        Index("ix_posts_search_vector", "search_vector", postgresql_using="gin"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True, default=uuid.uuid4)
    type: Mapped[str] = mapped_column(String(10), default="post", server_default="post")
    slug: Mapped[str] = mapped_column(String(191))
    title: Mapped[str] = mapped_column(String(255))
    html: Mapped[str] = mapped_column(Text, default="", server_default="")
    excerpt: Mapped[str] = mapped_column(Text, default="", server_default="")
    status: Mapped[str] = mapped_column(
        String(20), default=PostStatus.DRAFT, server_default="draft"
    )
    visibility: Mapped[str] = mapped_column(
        String(20), default=PostVisibility.PUBLIC, server_default="public"
    )
    feature_image: Mapped[str | None] = mapped_column(String(2048))
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("authors.id", ondelete="SET NULL"), index=True
    )
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    ghost_id: Mapped[str | None] = mapped_column(String(24), unique=True)
    # Ghost's updated_at of the version we hold: sync never goes back in time.
    ghost_updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Staff took the post over from Ghost: editable here, and sync leaves it alone.
    ghost_detached: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    # The editor's document (ProseMirror JSON); `html` is rendered from it on the server.
    doc: Mapped[dict[str, object] | None] = mapped_column(JSONB)
    # The body's words, for search and summaries.
    plaintext: Mapped[str] = mapped_column(Text, default="", server_default="")
    featured: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    # The newsletter the post is emailed to when it goes live ("publish and send").
    newsletter_id: Mapped[int | None] = mapped_column(
        ForeignKey("newsletters.id", ondelete="SET NULL")
    )
    search_vector: Mapped[str] = mapped_column(
        TSVECTOR, Computed(SEARCH_VECTOR, persisted=True), deferred=True
    )

    author: Mapped[Author | None] = relationship(lazy="selectin")
    authors: Mapped[list[Author]] = relationship(
        secondary="post_authors", order_by="PostAuthor.position", lazy="selectin"
    )
    tags: Mapped[list[Tag]] = relationship(
        secondary="post_tags", order_by="PostTag.position", lazy="selectin"
    )


class PostRevision(Base):
    """One save of a post: what it said then. Restoring one saves a new revision."""

    __tablename__ = "post_revisions"
    __table_args__ = (Index("ix_post_revisions_post_id_id", "post_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(255))
    doc: Mapped[dict[str, object] | None] = mapped_column(JSONB)
    html: Mapped[str] = mapped_column(Text, default="", server_default="")
    excerpt: Mapped[str] = mapped_column(Text, default="", server_default="")
    reason: Mapped[str] = mapped_column(String(30), default="save", server_default="save")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class BlogStaff(Timestamped, Base):
    """A member's staff role on the blog (an `is_admin` member is an administrator anyway)."""

    __tablename__ = "blog_staff"
    __table_args__ = (
        CheckConstraint(
            "role IN ('administrator', 'editor', 'author', 'contributor')", name="role"
        ),
    )

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(String(20))


class NavigationItem(Timestamped, Base):
    """One link of a site menu ("primary" in the header, "secondary" in the footer)."""

    __tablename__ = "navigation_items"
    __table_args__ = (Index("ix_navigation_items_menu_position", "menu", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    menu: Mapped[str] = mapped_column(String(30), default="primary", server_default="primary")
    label: Mapped[str] = mapped_column(String(100))
    url: Mapped[str] = mapped_column(String(2048))
    position: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class GhostSyncState(Base):
    """Where the last Ghost sync of one resource (posts, pages, tags, authors) stopped."""

    __tablename__ = "ghost_sync_states"

    id: Mapped[int] = mapped_column(primary_key=True)
    resource: Mapped[str] = mapped_column(String(30), unique=True)
    last_synced_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    cursor: Mapped[str | None] = mapped_column(Text)
    last_error: Mapped[str | None] = mapped_column(Text)
    stats: Mapped[dict[str, int]] = mapped_column(JSONB, default=dict, server_default="{}")


class GhostSyncRun(Base):
    """One sync run (full import, reconciliation, sync now): what it changed, what failed."""

    __tablename__ = "ghost_sync_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    started_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), index=True
    )
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    updated: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    deleted: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # The run's fatal error (an outage), None when it finished.
    error: Mapped[str | None] = mapped_column(Text)
    # Per-item problems (an image that would not download), the last few.
    errors: Mapped[list[str]] = mapped_column(JSONB, default=list, server_default="[]")
