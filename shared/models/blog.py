"""Blog: posts and pages, tags, authors, navigation menus, Ghost sync state."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.dialects.postgresql import JSONB
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


POST_STATUSES = tuple(PostStatus)
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

    author: Mapped[Author | None] = relationship(lazy="selectin")
    tags: Mapped[list[Tag]] = relationship(
        secondary="post_tags", order_by="PostTag.position", lazy="selectin"
    )


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
