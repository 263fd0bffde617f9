"""The newsletters domain's values and errors (its Protocol is in protocols.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


class NewsletterError(ValueError):
    """A newsletter request was refused; `message` says why, for the member to read."""

    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidEmail(NewsletterError):
    """Not an email address we can mail."""


class AlreadySubscribed(NewsletterError):
    """The address is already a confirmed subscriber of every newsletter asked for."""

    status = 409


class AddressSuppressed(NewsletterError):
    """Mail to the address bounced; nothing more is sent until the suppression is lifted."""

    status = 409


class InvalidLink(NewsletterError):
    """A confirmation or unsubscribe link that is forged, expired, used or another list's."""

    status = 404


class LinkAlreadyUsed(NewsletterError):
    status = 409


@dataclass(frozen=True, slots=True)
class NewsletterRecord:
    """A newsletter as its admin page edits it."""

    id: int
    slug: str
    name: str
    description: str
    sender_name: str
    reply_to: str | None
    subscribe_on_signup: bool
    is_active: bool


@dataclass(frozen=True, slots=True)
class NewNewsletter:
    name: str
    description: str = ""
    sender_name: str = ""
    reply_to: str | None = None
    subscribe_on_signup: bool = False


@dataclass(frozen=True, slots=True)
class PendingSubscription:
    """What a confirmation link stands for: no subscriber row exists before its POST."""

    email: str
    newsletter_ids: tuple[int, ...]
    token: str  # the signed, expiring token the link carries


@dataclass(frozen=True, slots=True)
class SubscriptionRecord:
    id: int
    newsletter_id: int
    newsletter_slug: str
    newsletter_name: str
    email: str
    status: str
    unsubscribe_token: str


@dataclass(frozen=True, slots=True)
class MemberPreference:
    """One newsletter on a member's preferences page, and whether they receive it."""

    newsletter_id: int
    slug: str
    name: str
    description: str
    subscribed: bool


@dataclass(frozen=True, slots=True)
class SendProgress:
    """An issue going out, as the admin page shows it."""

    id: int
    newsletter_id: int
    subject: str
    status: str
    post_id: int | None
    queued: int
    sent: int
    failed: int
    created_at: datetime


@dataclass(frozen=True, slots=True)
class SuppressionRecord:
    email: str
    reason: str
    created_at: datetime
