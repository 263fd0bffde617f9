"""The social hub's DTOs and errors: accounts, statuses, timelines, notifications.

Ids are the database ids Mastodon clients page by (an account is an actor row, a
status an object row); every HTML field is sanitized before it leaves the service.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

# Mastodon's default, and what our instance documents advertise.
MAX_STATUS_CHARS = 500
MAX_MEDIA = 4
MAX_SPOILER_CHARS = 500


class SocialError(ValueError):
    """A social action was refused. `status` is the HTTP status a route answers with
    (422 for a refused value, 404 for what the member cannot see); `message` says why."""

    def __init__(self, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


class NotVisible(SocialError):
    """The status or account does not exist, or the viewer may not see it."""

    def __init__(self, what: str = "Record not found") -> None:
        super().__init__(what, 404)


@dataclass(frozen=True, slots=True)
class MediaAttachment:
    """An image on a status: `url` absolute or one of our `/media/...` paths."""

    url: str
    alt: str = ""
    media_type: str = "image/jpeg"
    width: int | None = None
    height: int | None = None
    id: int = 0  # its place on the status, from 1 (the Mastodon API's media id)


@dataclass(frozen=True, slots=True)
class AccountRecord:
    """An actor as the hub shows it: one of our members or a remote account."""

    id: int
    ap_id: str
    username: str
    acct: str  # "cleo" for ours, "alice@herd.example" for others
    display_name: str
    note_html: str
    url: str
    avatar: str | None
    is_local: bool
    locked: bool
    created_at: datetime
    followers_count: int = 0
    following_count: int = 0
    statuses_count: int = 0

    @property
    def handle(self) -> str:
        return f"@{self.acct}"


@dataclass(frozen=True, slots=True)
class StatusRecord:
    """A post as a viewer sees it, with the viewer's own favourite and boost flags.
    `cursor` is the position it is paged by in the timeline it came from."""

    id: int
    ap_id: str
    url: str | None
    account: AccountRecord
    content_html: str
    spoiler_text: str
    visibility: str
    language: str | None
    created_at: datetime
    edited_at: datetime | None
    in_reply_to_id: int | None
    in_reply_to_account_id: int | None
    media: tuple[MediaAttachment, ...] = ()
    tags: tuple[str, ...] = ()
    mentions: tuple[AccountRecord, ...] = ()
    favourites_count: int = 0
    reblogs_count: int = 0
    replies_count: int = 0
    favourited: bool = False
    reblogged: bool = False
    boosted_by: AccountRecord | None = None
    cursor: int = 0
    source: str | None = None  # the text its author wrote (for our members' edits)


@dataclass(frozen=True, slots=True)
class NewStatus:
    """What a member composes. `media` are already stored images (media storage)."""

    text: str
    visibility: str = "public"
    spoiler_text: str = ""
    language: str | None = None
    in_reply_to_id: int | None = None
    media: tuple[MediaAttachment, ...] = ()


@dataclass(frozen=True, slots=True)
class PageQuery:
    """Which page of a timeline: older than `max_id`, newer than `min_id`, `limit` long."""

    max_id: int | None = None
    min_id: int | None = None
    limit: int = 20


@dataclass(frozen=True, slots=True)
class TimelinePage:
    """Statuses newest first; `next_max_id` pages on to older ones (None at the end),
    `prev_min_id` back to newer ones (None when empty)."""

    items: tuple[StatusRecord, ...]
    next_max_id: int | None
    prev_min_id: int | None


@dataclass(frozen=True, slots=True)
class StatusContext:
    ancestors: tuple[StatusRecord, ...]
    descendants: tuple[StatusRecord, ...]


@dataclass(frozen=True, slots=True)
class NotificationItem:
    """One notification: `kind` is "mention", "reply", "follow", "follow_request",
    "like" or "boost"; `status` what it is about (None for follows)."""

    id: int
    kind: str
    account: AccountRecord
    status: StatusRecord | None
    created_at: datetime
    read: bool


@dataclass(frozen=True, slots=True)
class NotificationGroup:
    """Notifications grouped the Mastodon 4.3 way: favourites and boosts of one status,
    and follows, each one group ("ben and 3 others favourited your post")."""

    group_key: str
    kind: str
    accounts: tuple[AccountRecord, ...]  # newest first, at most a few
    count: int  # how many notifications (and so accounts) the group holds
    status: StatusRecord | None
    latest_at: datetime
    most_recent_id: int
    page_min_id: int
    unread: bool

    @property
    def others(self) -> int:
        return max(0, self.count - 1)


@dataclass(frozen=True, slots=True)
class Relationship:
    """How a member stands to an account (Mastodon's Relationship)."""

    id: int
    following: bool
    requested: bool
    followed_by: bool
    muting: bool
    blocking: bool


@dataclass(frozen=True, slots=True)
class ProfilePage:
    account: AccountRecord
    statuses: TimelinePage
    relationship: Relationship | None = None


@dataclass(frozen=True, slots=True)
class FollowRequest:
    account: AccountRecord
    requested_at: datetime


@dataclass(frozen=True, slots=True)
class DomainBlockRecord:
    domain: str
    reason: str
    created_at: datetime
