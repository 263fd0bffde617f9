"""Frozen data passed across service contracts. ORM objects never leave a service."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from shared.contracts.errors import UnverifiedMember
from shared.contracts.market import UnitPrice
from shared.contracts.money import Money


@dataclass(frozen=True, slots=True)
class UserRecord:
    id: int
    username: str
    display_name: str
    email: str
    is_admin: bool
    email_verified: bool = False


@dataclass(frozen=True, slots=True)
class PostSummary:
    """A published post as lists show it."""

    id: int
    slug: str
    title: str
    excerpt: str
    feature_image: str | None
    author_name: str | None
    published_at: datetime
    tags: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class PostRecord:
    """A published post or page as its own page shows it; `html` is sanitized."""

    id: int
    type: str
    slug: str
    title: str
    html: str
    excerpt: str
    feature_image: str | None
    author_name: str | None
    published_at: datetime
    tags: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class NavigationItemRecord:
    """One link of a site menu, in menu order (`position`)."""

    id: int
    menu: str
    label: str
    url: str
    position: int


@dataclass(frozen=True, slots=True)
class NewNavigationItem:
    """What the navigation admin submits for a new or edited menu link."""

    label: str
    url: str
    menu: str = "primary"


@dataclass(frozen=True, slots=True)
class TagRecord:
    slug: str
    name: str
    description: str


@dataclass(frozen=True, slots=True)
class StallSummary:
    id: int
    slug: str
    name: str
    description: str
    product_count: int
    image_url: str | None = None
    image_alt: str = ""


@dataclass(frozen=True, slots=True)
class ProductSummary:
    """A listed product as the market's grids show it."""

    id: int
    slug: str
    title: str
    price: Money
    stall_slug: str
    stall_name: str
    image_url: str | None
    image_alt: str
    in_stock: bool
    # The cheapest variant's price per kg / litre / item (EU 98/6/EC), when it has a measure.
    unit_price: UnitPrice | None = None
    variant_count: int = 1


@dataclass(frozen=True, slots=True)
class CartLineView:
    id: int
    title: str
    quantity: int
    unit_price: Money
    line_total: Money


@dataclass(frozen=True, slots=True)
class CartSummary:
    """The viewer's cart; `subtotals` has one entry per currency in it."""

    item_count: int
    lines: tuple[CartLineView, ...]
    subtotals: tuple[Money, ...]

    @property
    def is_empty(self) -> bool:
        return not self.lines


@dataclass(frozen=True, slots=True)
class CartItem:
    """Something on sale that can go in a cart, priced now; `left` None means unlimited."""

    title: str
    unit_price: Money
    left: int | None


@dataclass(frozen=True, slots=True)
class NewCartLine:
    """Something to put in a cart: exactly one of a product or a ticket type.

    A product line is bought in one of its variants; without `variant_id` it means the
    product's first variant.
    """

    quantity: int
    product_id: int | None = None
    ticket_type_id: int | None = None
    variant_id: int | None = None


@dataclass(frozen=True, slots=True)
class EventSummary:
    """One upcoming occurrence of an event (recurring events show their next one)."""

    id: int
    slug: str
    title: str
    calendar_slug: str
    calendar_name: str
    starts_at: datetime
    ends_at: datetime
    time_zone: str
    location: str
    is_recurring: bool


@dataclass(frozen=True, slots=True)
class NoteSummary:
    """A post in a timeline; `content_html` is already sanitized."""

    ap_id: str
    author_name: str
    author_handle: str
    author_icon: str | None
    content_html: str
    url: str | None
    published_at: datetime


@dataclass(frozen=True, slots=True)
class NewsletterSummary:
    id: int
    slug: str
    name: str
    description: str
    subscriber_count: int


@dataclass(frozen=True, slots=True)
class NewMember:
    """What sign-up asks for. The password is plain text here and never stored."""

    email: str
    username: str
    display_name: str
    password: str


@dataclass(frozen=True, slots=True)
class MailedToken:
    """A single-use token made for a member, to be put in a link and mailed to `email`."""

    user_id: int
    email: str
    display_name: str
    token: str


@dataclass(frozen=True, slots=True)
class TotpEnrolment:
    """An authenticator secret being set up: shown as a QR code of `uri` and as text."""

    secret: str
    uri: str


@dataclass(frozen=True, slots=True)
class SecondFactors:
    """A member's second factors, as the security page lists them."""

    totp: bool
    recovery_codes_left: int
    passkeys: int

    @property
    def any(self) -> bool:
        return self.totp or self.passkeys > 0


@dataclass(frozen=True, slots=True)
class PasskeyRecord:
    id: int
    name: str
    created_at: datetime
    last_used_at: datetime | None


@dataclass(frozen=True, slots=True)
class PasskeyParty:
    """Who passkeys are for: federation's host (the WebAuthn rp_id) and its origin."""

    rp_id: str
    origin: str
    name: str = "Rose Ash"


@dataclass(frozen=True, slots=True)
class PasskeyCeremony:
    """Options for `navigator.credentials` (JSON) and the challenge the answer must sign
    (kept server side until the answer comes)."""

    options_json: str
    challenge: bytes


@dataclass(frozen=True, slots=True)
class ConnectedApp:
    """A third-party application a member allowed to sign them in."""

    client_id: str
    name: str
    scope: str
    granted_at: datetime


def require_verified(member: UserRecord | None) -> UserRecord:
    """The member, if their email address is confirmed; else raises UnverifiedMember.

    For routes an unconfirmed member may not use (opening a stall, mailing others).
    """
    if member is None or not member.email_verified:
        raise UnverifiedMember("Confirm your email address first: we sent you a link.")
    return member


@dataclass(frozen=True, slots=True)
class FederatedObject:
    """Something an app publishes to the fediverse, in domain terms.

    `key` names it for good under the app's `/objects/` (e.g. "posts/<uuid>");
    `path` is its human page on the app ("/welcome-to-rose-ash/"); `summary`
    is plain text (Mastodon shows only name, summary and link for Articles
    and Events). `starts_at`, `ends_at` and `location` are for Events.
    """

    app: str
    key: str
    type: str
    content_html: str
    path: str
    published_at: datetime
    name: str | None = None
    summary: str | None = None
    updated_at: datetime | None = None
    tags: tuple[str, ...] = ()
    image_url: str | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    location: str | None = None


@dataclass(frozen=True, slots=True)
class ActivityRecord:
    """An activity in our outbox: its id, type, the object it is about, its state."""

    id: int
    ap_id: str
    type: str
    object_ap_id: str | None
    status: str


@dataclass(frozen=True, slots=True)
class FollowRecord:
    """One follow relation as a member or an app sees it."""

    follower: str
    following: str
    status: str
    follow_activity_id: str | None


@dataclass(frozen=True, slots=True)
class ActorRecord:
    """One of our actors (an app's, the instance's or a member's) as peers see it.

    `kind` is "app" (apps and the instance actor) or "member"; `app_name` names the
    app ("instance" for the instance actor), `username` the member. Never key material
    beyond the public key.
    """

    ap_id: str
    kind: str
    type: str
    preferred_username: str
    domain: str
    display_name: str
    summary: str
    url: str | None
    icon_url: str | None
    inbox_url: str | None
    outbox_url: str | None
    followers_url: str | None
    following_url: str | None
    shared_inbox_url: str | None
    key_id: str | None
    public_key_pem: str | None
    app_name: str | None
    published_at: datetime | None
    manually_approves_followers: bool = False


CollectionName = Literal["outbox", "followers", "following"]


@dataclass(frozen=True, slots=True)
class CollectionSlice:
    """Part of an actor's collection, newest first: actor ids (followers, following) or
    activity documents (outbox), and how many the whole collection holds."""

    total: int
    items: tuple[str | dict[str, Any], ...]


@dataclass(frozen=True, slots=True)
class LocalObjectRecord:
    """An object we published (a note, article, event), as served at its id.

    `document` is its stored ActivityStreams form; `deleted` means a Tombstone is due.
    """

    ap_id: str
    type: str
    attributed_to: str
    visibility: str
    content_html: str
    url: str | None
    deleted: bool
    document: dict[str, Any]


@dataclass(frozen=True, slots=True)
class SocialUsage:
    """What NodeInfo reports: members with an actor and our live local posts."""

    members: int
    local_posts: int


@dataclass(frozen=True, slots=True)
class NotificationRecord:
    """Something that happened to a member: `kind` is "follow", "like", "boost", "reply"
    or "mention"; `actor` is who did it (their id), `object_ap_id` what it was about."""

    kind: str
    actor: str
    actor_name: str
    actor_handle: str
    object_ap_id: str | None
    created_at: datetime
    read: bool
