"""ActivityPub: actors (ours and cached remote ones), follows, the activity log
(outbox and inbox), delivery attempts, objects, notifications and timelines."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shared.models.base import Base, Timestamped


class ActorKind(StrEnum):
    APP = "app"
    MEMBER = "member"
    REMOTE = "remote"


class FollowState(StrEnum):
    PENDING = "pending"  # asked, no Accept yet (or waiting for the member's approval)
    ACCEPTED = "accepted"
    REJECTED = "rejected"


class Direction(StrEnum):
    OUTBOUND = "outbound"
    INBOUND = "inbound"


class ActivityState(StrEnum):
    """An outbound activity's fan-out, or an inbound one's processing."""

    PENDING = "pending"
    PROCESSING = "processing"
    DONE = "done"
    FAILED = "failed"


class DeliveryState(StrEnum):
    PENDING = "pending"
    DELIVERING = "delivering"
    DELIVERED = "delivered"
    FAILED = "failed"
    DEAD = "dead"


class Visibility(StrEnum):
    PUBLIC = "public"
    UNLISTED = "unlisted"
    FOLLOWERS = "followers"
    DIRECT = "direct"


class NotificationKind(StrEnum):
    MENTION = "mention"
    REPLY = "reply"
    FOLLOW = "follow"
    FOLLOW_REQUEST = "follow_request"
    LIKE = "like"
    BOOST = "boost"


class ReactionKind(StrEnum):
    LIKE = "like"
    ANNOUNCE = "announce"


class BlockKind(StrEnum):
    MUTE = "mute"  # hidden from the member's timelines and notifications, not federated
    BLOCK = "block"  # that, plus the follows both ways end and a Block is sent


def _one_of(column: str, values: type[StrEnum]) -> str:
    return f"{column} IN ({', '.join(repr(str(v)) for v in values)})"


class Actor(Timestamped, Base):
    """An actor: one of our apps, one of our members, or a cached remote one.

    Local actors carry no key material here: app actors project the platform
    keypair and members' keys live in `private_key_pem` (encrypted at rest by
    the ActivityPub layer).
    """

    __tablename__ = "ap_actors"
    __table_args__ = (
        CheckConstraint(_one_of("kind", ActorKind), name="kind"),
        UniqueConstraint("preferred_username", "domain"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ap_id: Mapped[str] = mapped_column(String(2048), unique=True)
    kind: Mapped[str] = mapped_column(String(10))
    type: Mapped[str] = mapped_column(String(30), default="Person", server_default="Person")
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), unique=True
    )
    app_name: Mapped[str | None] = mapped_column(String(20), unique=True)
    preferred_username: Mapped[str] = mapped_column(String(100))
    domain: Mapped[str] = mapped_column(String(255))
    display_name: Mapped[str] = mapped_column(String(200), default="", server_default="")
    summary: Mapped[str] = mapped_column(Text, default="", server_default="")
    icon_url: Mapped[str | None] = mapped_column(String(2048))
    url: Mapped[str | None] = mapped_column(String(2048))
    inbox_url: Mapped[str | None] = mapped_column(String(2048))
    shared_inbox_url: Mapped[str | None] = mapped_column(String(2048))
    outbox_url: Mapped[str | None] = mapped_column(String(2048))
    followers_url: Mapped[str | None] = mapped_column(String(2048))
    following_url: Mapped[str | None] = mapped_column(String(2048))
    key_id: Mapped[str | None] = mapped_column(String(2048), unique=True)
    public_key_pem: Mapped[str | None] = mapped_column(Text)
    private_key_pem: Mapped[str | None] = mapped_column(Text)
    fetched_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # A member who approves followers by hand (remote actors: what their document says).
    manually_approves_followers: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default="false"
    )


class Follow(Timestamped, Base):
    """`follower` follows `following`; either side may be local or remote.

    Our followers are rows whose `following` is local; whom we follow are rows
    whose `follower` is local.
    """

    __tablename__ = "ap_follows"
    __table_args__ = (
        UniqueConstraint("follower_id", "following_id"),
        CheckConstraint(_one_of("status", FollowState), name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    follower_id: Mapped[int] = mapped_column(ForeignKey("ap_actors.id", ondelete="CASCADE"))
    following_id: Mapped[int] = mapped_column(
        ForeignKey("ap_actors.id", ondelete="CASCADE"), index=True
    )
    follow_activity_id: Mapped[str | None] = mapped_column(String(2048))
    status: Mapped[str] = mapped_column(String(20), default="pending", server_default="pending")

    follower: Mapped[Actor] = relationship(foreign_keys=[follower_id], lazy="joined")
    following: Mapped[Actor] = relationship(foreign_keys=[following_id], lazy="joined")


class Activity(Base):
    """The activity log. Outbound rows are the outbox the EventProcessor claims."""

    __tablename__ = "ap_activities"
    __table_args__ = (
        CheckConstraint(_one_of("direction", Direction), name="direction"),
        CheckConstraint(_one_of("status", ActivityState), name="status"),
        Index("ix_ap_activities_direction_status_id", "direction", "status", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ap_id: Mapped[str] = mapped_column(String(2048))
    direction: Mapped[str] = mapped_column(String(10))
    type: Mapped[str] = mapped_column(String(30))
    actor_id: Mapped[int] = mapped_column(
        ForeignKey("ap_actors.id", ondelete="CASCADE"), index=True
    )
    # For inbound rows: which local actor's inbox (NULL = shared inbox).
    recipient_id: Mapped[int | None] = mapped_column(ForeignKey("ap_actors.id", ondelete="CASCADE"))
    object_ap_id: Mapped[str | None] = mapped_column(String(2048), index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB)
    status: Mapped[str] = mapped_column(String(20), default="pending", server_default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    processed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


# An inbound activity is stored once per recipient and actor (idempotent redelivery;
# another actor claiming the same id cannot pre-empt it).
Index(
    "uq_ap_activities_ap_id_direction_recipient",
    Activity.ap_id,
    Activity.direction,
    func.coalesce(Activity.recipient_id, 0),
    Activity.actor_id,
    unique=True,
)


class Delivery(Base):
    """One inbox's copy of an outbound activity, with its attempt history."""

    __tablename__ = "ap_deliveries"
    __table_args__ = (
        UniqueConstraint("activity_id", "inbox_url"),
        CheckConstraint(_one_of("status", DeliveryState), name="status"),
        Index("ix_ap_deliveries_status_next_attempt_at", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("ap_activities.id", ondelete="CASCADE"))
    inbox_url: Mapped[str] = mapped_column(String(2048))
    status: Mapped[str] = mapped_column(String(20), default="pending", server_default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class ApObject(Base):
    """A note, article or event object, ours (`is_local`) or received."""

    __tablename__ = "ap_objects"
    __table_args__ = (Index("ix_ap_objects_local_published", "is_local", "published_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ap_id: Mapped[str] = mapped_column(String(2048), unique=True)
    type: Mapped[str] = mapped_column(String(30))
    actor_id: Mapped[int] = mapped_column(
        ForeignKey("ap_actors.id", ondelete="CASCADE"), index=True
    )
    is_local: Mapped[bool] = mapped_column(default=False, server_default="false")
    visibility: Mapped[str] = mapped_column(String(20), default="public", server_default="public")
    content_html: Mapped[str] = mapped_column(Text, default="", server_default="")
    summary: Mapped[str | None] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(String(2048))
    in_reply_to: Mapped[str | None] = mapped_column(String(2048), index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict, server_default="{}")
    published_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    language: Mapped[str | None] = mapped_column(String(16))
    # Images: [{"url", "alt", "media_type", "width", "height"}], absolute or /media/ paths.
    attachments: Mapped[list[dict[str, Any]]] = mapped_column(
        JSONB, default=list, server_default="[]"
    )
    # The text a member wrote (ours only): what an edit starts from.
    source: Mapped[str | None] = mapped_column(Text)

    actor: Mapped[Actor] = relationship(lazy="joined")


class ObjectTag(Base):
    """A hashtag on an object, lower case without '#': the hashtag timeline's index."""

    __tablename__ = "ap_object_tags"
    __table_args__ = (Index("ix_ap_object_tags_tag_object_id", "tag", "object_id"),)

    object_id: Mapped[int] = mapped_column(
        ForeignKey("ap_objects.id", ondelete="CASCADE"), primary_key=True
    )
    tag: Mapped[str] = mapped_column(String(100), primary_key=True)


class Reaction(Base):
    """A favourite (Like) or boost (Announce) of an object by an actor, ours or remote."""

    __tablename__ = "ap_reactions"
    __table_args__ = (
        UniqueConstraint("kind", "actor_id", "object_id"),
        CheckConstraint(_one_of("kind", ReactionKind), name="kind"),
        Index("ix_ap_reactions_object_id_kind", "object_id", "kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    actor_id: Mapped[int] = mapped_column(ForeignKey("ap_actors.id", ondelete="CASCADE"))
    object_id: Mapped[int] = mapped_column(ForeignKey("ap_objects.id", ondelete="CASCADE"))
    activity_ap_id: Mapped[str | None] = mapped_column(String(2048))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class AccountBlock(Base):
    """A member's mute or block of another actor."""

    __tablename__ = "ap_account_blocks"
    __table_args__ = (
        UniqueConstraint("user_id", "actor_id", "kind"),
        CheckConstraint(_one_of("kind", BlockKind), name="kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    actor_id: Mapped[int] = mapped_column(ForeignKey("ap_actors.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class DomainBlock(Base):
    """An admin's block of a whole server: its inbox POSTs refused, its content purged."""

    __tablename__ = "ap_domain_blocks"

    id: Mapped[int] = mapped_column(primary_key=True)
    domain: Mapped[str] = mapped_column(String(255), unique=True)
    reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Report(Base):
    """A member's report of an actor (and some of its posts), sent as a Flag."""

    __tablename__ = "ap_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    reporter_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    actor_id: Mapped[int] = mapped_column(ForeignKey("ap_actors.id", ondelete="CASCADE"))
    object_ap_ids: Mapped[list[str]] = mapped_column(JSONB, default=list, server_default="[]")
    comment: Mapped[str] = mapped_column(Text, default="", server_default="")
    activity_ap_id: Mapped[str | None] = mapped_column(String(2048))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class UnavailableHost(Base):
    """A server our deliveries failed to for 7 days (Mastodon's rule): no more deliveries
    until it is heard from again."""

    __tablename__ = "ap_unavailable_hosts"

    id: Mapped[int] = mapped_column(primary_key=True)
    host: Mapped[str] = mapped_column(String(255), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Notification(Base):
    """Something a member should see: a follow, a like, a boost, a reply, a mention."""

    __tablename__ = "ap_notifications"
    __table_args__ = (Index("ix_ap_notifications_user_read", "user_id", "read_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    actor_id: Mapped[int] = mapped_column(ForeignKey("ap_actors.id", ondelete="CASCADE"))
    object_id: Mapped[int | None] = mapped_column(ForeignKey("ap_objects.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class TimelineEntry(Base):
    """An object in a member's home timeline (fan-out on receive)."""

    __tablename__ = "ap_timeline_entries"
    __table_args__ = (
        UniqueConstraint("user_id", "object_id"),
        Index("ix_ap_timeline_entries_user_created", "user_id", "created_at"),
        # Keyset paging: newest first by id, for one member.
        Index("ix_ap_timeline_entries_user_id_id", "user_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    object_id: Mapped[int] = mapped_column(ForeignKey("ap_objects.id", ondelete="CASCADE"))
    boosted_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("ap_actors.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class DeliveryAttempt(Base):
    """One POST of a delivery to its inbox: when, how long, and what came back."""

    __tablename__ = "ap_delivery_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[int] = mapped_column(
        ForeignKey("ap_deliveries.id", ondelete="CASCADE"), index=True
    )
    attempt: Mapped[int] = mapped_column(Integer)
    status_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    duration_ms: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    attempted_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


class InboxState(Base):
    """Health of one remote inbox: consecutive failures pause deliveries to it."""

    __tablename__ = "ap_inbox_states"

    id: Mapped[int] = mapped_column(primary_key=True)
    inbox_url: Mapped[str] = mapped_column(String(2048), unique=True)
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    paused_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    last_success_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # When the current run of failures began (NULL after a success).
    failing_since: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
