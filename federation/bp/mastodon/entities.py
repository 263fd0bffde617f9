"""Mastodon's JSON entities (Account, Status, MediaAttachment, Notification, grouped
notifications, Relationship, Instance) from the social service's records."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urljoin

from shared.contracts.social import (
    MAX_MEDIA,
    MAX_STATUS_CHARS,
    AccountRecord,
    MediaAttachment,
    NotificationGroup,
    NotificationItem,
    Relationship,
    StatusRecord,
)

NOTIFICATION_TYPES = {
    "like": "favourite",
    "boost": "reblog",
    "mention": "mention",
    "reply": "mention",
    "follow": "follow",
    "follow_request": "follow_request",
}


def iso(moment: datetime | None) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment else None


def absolute(base: str, url: str | None) -> str | None:
    return urljoin(base + "/", url) if url else None


def account(base: str, a: AccountRecord) -> dict[str, Any]:
    avatar = absolute(base, a.avatar) or f"{base}/static/dist/img/logo.svg"
    return {
        "id": str(a.id),
        "username": a.username,
        "acct": a.acct,
        "display_name": a.display_name,
        "locked": a.locked,
        "bot": False,
        "discoverable": True,
        "group": False,
        "created_at": iso(a.created_at),
        "note": a.note_html,
        "url": a.url,
        "uri": a.ap_id,
        "avatar": avatar,
        "avatar_static": avatar,
        "header": "",
        "header_static": "",
        "followers_count": a.followers_count,
        "following_count": a.following_count,
        "statuses_count": a.statuses_count,
        "last_status_at": None,
        "emojis": [],
        "fields": [],
    }


def credential_account(base: str, a: AccountRecord) -> dict[str, Any]:
    return {
        **account(base, a),
        "source": {"privacy": "public", "sensitive": False, "language": None, "note": "",
                   "fields": [], "follow_requests_count": 0},
    }  # fmt: skip


def media(base: str, m: MediaAttachment) -> dict[str, Any]:
    url = absolute(base, m.url)
    meta = {"original": {"width": m.width, "height": m.height}} if m.width else {}
    return {
        "id": str(m.id),
        "type": "image",
        "url": url,
        "preview_url": url,
        "remote_url": None,
        "meta": meta,
        "description": m.alt or None,
        "blurhash": None,
    }


def status(base: str, s: StatusRecord) -> dict[str, Any]:
    document = {
        "id": str(s.id),
        "uri": s.ap_id,
        "url": s.url,
        "created_at": iso(s.created_at),
        "edited_at": iso(s.edited_at),
        "account": account(base, s.account),
        "content": s.content_html,
        "visibility": "private" if s.visibility == "followers" else s.visibility,
        "sensitive": bool(s.spoiler_text),
        "spoiler_text": s.spoiler_text,
        "media_attachments": [media(base, m) for m in s.media],
        "application": None,
        "mentions": [
            {"id": str(m.id), "username": m.username, "url": m.url, "acct": m.acct}
            for m in s.mentions
        ],
        "tags": [{"name": t, "url": f"{base}/tags/{t}"} for t in s.tags],
        "emojis": [],
        "reblogs_count": s.reblogs_count,
        "favourites_count": s.favourites_count,
        "replies_count": s.replies_count,
        "in_reply_to_id": str(s.in_reply_to_id) if s.in_reply_to_id else None,
        "in_reply_to_account_id": (
            str(s.in_reply_to_account_id) if s.in_reply_to_account_id else None
        ),
        "reblog": None,
        "poll": None,
        "card": None,
        "language": s.language,
        "text": s.source,
        "favourited": s.favourited,
        "reblogged": s.reblogged,
        "muted": False,
        "bookmarked": False,
        "pinned": False,
        "filtered": [],
    }
    if s.boosted_by is not None:
        # A boost in a timeline: the wrapper is the booster's, the status inside.
        return {
            **document,
            "id": str(s.cursor),
            "account": account(base, s.boosted_by),
            "reblog": document,
            "content": "",
            "media_attachments": [],
        }
    return document


def notification(base: str, n: NotificationItem) -> dict[str, Any]:
    return {
        "id": str(n.id),
        "type": NOTIFICATION_TYPES.get(n.kind, n.kind),
        "created_at": iso(n.created_at),
        "group_key": f"ungrouped-{n.id}",
        "account": account(base, n.account),
        "status": status(base, n.status) if n.status else None,
    }


def group(g: NotificationGroup) -> dict[str, Any]:
    return {
        "group_key": g.group_key,
        "notifications_count": g.count,
        "type": NOTIFICATION_TYPES.get(g.kind, g.kind),
        "most_recent_notification_id": str(g.most_recent_id),
        "page_min_id": str(g.page_min_id),
        "page_max_id": str(g.most_recent_id),
        "latest_page_notification_at": iso(g.latest_at),
        "sample_account_ids": [str(a.id) for a in g.accounts],
        "status_id": str(g.status.id) if g.status else None,
    }


def relationship(r: Relationship) -> dict[str, Any]:
    return {
        "id": str(r.id),
        "following": r.following,
        "showing_reblogs": r.following,
        "notifying": False,
        "languages": None,
        "followed_by": r.followed_by,
        "blocking": r.blocking,
        "blocked_by": False,
        "muting": r.muting,
        "muting_notifications": r.muting,
        "requested": r.requested,
        "requested_by": False,
        "domain_blocking": False,
        "endorsed": False,
        "note": "",
    }


def configuration() -> dict[str, Any]:
    return {
        "statuses": {"max_characters": MAX_STATUS_CHARS, "max_media_attachments": MAX_MEDIA,
                     "characters_reserved_per_url": 23},
        "media_attachments": {
            "supported_mime_types": ["image/jpeg", "image/png", "image/webp", "image/gif"],
            "image_size_limit": 10 * 1024 * 1024, "image_matrix_limit": 40_000_000,
            "video_size_limit": 0, "video_frame_rate_limit": 0, "video_matrix_limit": 0,
        },
        "polls": {"max_options": 0, "max_characters_per_option": 0,
                  "min_expiration": 0, "max_expiration": 0},
        "accounts": {"max_featured_tags": 0},
    }  # fmt: skip
