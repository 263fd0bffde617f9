"""One Protocol per domain: what the other apps may ask of it.

Every method takes the caller's AsyncSession first, so work across domains
shares one transaction; the caller (a route, a worker) commits.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts.blog import BlogReader, BlogStaffRoles, BlogWriter
from shared.contracts.dtos import (
    ActivityRecord,
    ActorRecord,
    CartItem,
    CartSummary,
    CollectionName,
    CollectionSlice,
    EventSummary,
    FederatedObject,
    FollowRecord,
    LocalObjectRecord,
    MailedToken,
    NavigationItemRecord,
    NewCartLine,
    NewMember,
    NewNavigationItem,
    NewsletterSummary,
    NoteSummary,
    NotificationRecord,
    PostRecord,
    PostSummary,
    ProductSummary,
    SocialUsage,
    StallSummary,
    TagRecord,
    UserRecord,
)


class IdentityService(Protocol):
    async def get_user(self, session: AsyncSession, user_id: int) -> UserRecord | None:
        """The member with this id, or None when there is none."""
        ...

    async def get_session_user(
        self, session: AsyncSession, user_id: int, signed_in_at: float
    ) -> UserRecord | None:
        """The member of a session begun at `signed_in_at`, or None when it no longer counts."""
        ...

    async def get_user_by_username(self, session: AsyncSession, username: str) -> UserRecord | None:
        """The member with this username (case-insensitive), or None."""
        ...

    async def get_user_by_email(self, session: AsyncSession, email: str) -> UserRecord | None:
        """The member with this email address (case-insensitive), or None."""
        ...

    async def create_member(self, session: AsyncSession, member: NewMember) -> UserRecord:
        """A new member with an argon2 hash of the password, email not yet verified.

        Raises AccountError when the email or username is taken or malformed, or
        the password too short: its `errors` name every refused field at once.
        """
        ...

    async def authenticate(
        self, session: AsyncSession, login: str, password: str
    ) -> UserRecord | None:
        """The member whose email or username is `login` and whose password matches,
        or None; takes as long when no such member exists."""
        ...

    async def create_mailed_token(
        self, session: AsyncSession, user_id: int, purpose: str, *, valid_for: timedelta
    ) -> MailedToken:
        """A fresh single-use token ("password_reset" or "email_verification") for the
        member's current address; earlier unused tokens of that purpose stop working."""
        ...

    async def mailed_token_is_live(self, session: AsyncSession, token: str, purpose: str) -> bool:
        """Whether `token` is well-formed, unused and unexpired for `purpose` (uses nothing)."""
        ...

    async def reset_password(
        self, session: AsyncSession, token: str, password: str
    ) -> UserRecord | None:
        """Set a new password with a password-reset token and use the token up.

        None when the token is unknown, used or expired; raises AccountError
        when the password is too short.
        """
        ...

    async def verify_email(self, session: AsyncSession, token: str) -> UserRecord | None:
        """Mark the member's address verified with a verification token (used up), or
        None when the token is unknown, used, expired or for an older address."""
        ...


class BlogService(BlogReader, BlogWriter, BlogStaffRoles, Protocol):
    """The blog: readers' lists and pages (here and BlogReader), staff writing
    (BlogWriter, shared/contracts/blog.py) and the navigation menus."""

    async def list_published_posts(
        self,
        session: AsyncSession,
        *,
        limit: int = 20,
        offset: int = 0,
        tag_slug: str | None = None,
    ) -> list[PostSummary]:
        """Published public posts (not pages), newest first, only those tagged `tag_slug`
        when given; empty when there are none."""
        ...

    async def get_tag(self, session: AsyncSession, slug: str) -> TagRecord | None:
        """The tag with this slug, or None."""
        ...

    async def publish_post(self, session: AsyncSession, post_id: int) -> PostSummary | None:
        """Publish the post now (keeping an earlier published_at) and record PostPublished,
        whose handler federates a public post from the blog's actor in the same unit of
        work: Create the first time, Update after. None when there is no such post."""
        ...

    async def update_post(
        self,
        session: AsyncSession,
        post_id: int,
        *,
        title: str | None = None,
        html: str | None = None,
        excerpt: str | None = None,
    ) -> PostSummary | None:
        """Change a post and record PostUpdated (a federated one sends an Update in the same
        unit of work). The post as published (None when there is no such post, or it is not
        published)."""
        ...

    async def delete_post(self, session: AsyncSession, post_id: int) -> bool:
        """Delete the post and record PostDeleted (a federated one sends a Delete; a
        Tombstone stays at its id). False when there is no such post."""
        ...

    async def get_published_post(self, session: AsyncSession, slug: str) -> PostRecord | None:
        """The published public post or page with this slug (posts win a tie), its html
        sanitized; None when there is none."""
        ...

    async def list_navigation_items(
        self, session: AsyncSession, menu: str = "primary"
    ) -> list[NavigationItemRecord]:
        """The links of `menu`, in order; empty when it has none."""
        ...

    async def get_navigation_item(
        self, session: AsyncSession, item_id: int
    ) -> NavigationItemRecord | None:
        """The menu link with this id, or None."""
        ...

    async def create_navigation_item(
        self, session: AsyncSession, item: NewNavigationItem
    ) -> NavigationItemRecord:
        """A new link at the end of its menu. Raises NavigationError naming the field
        when the label or URL is unusable. Marks the nav fragment changed."""
        ...

    async def update_navigation_item(
        self, session: AsyncSession, item_id: int, item: NewNavigationItem
    ) -> NavigationItemRecord | None:
        """The link with its new label and URL (moved to the end of another menu if its
        menu changed); None when there is no such link. Raises NavigationError like
        `create_navigation_item`. Marks the nav fragment changed."""
        ...

    async def delete_navigation_item(self, session: AsyncSession, item_id: int) -> bool:
        """Whether a link was deleted (the rest of its menu closes the gap). Marks the
        nav fragment changed."""
        ...

    async def move_navigation_item(self, session: AsyncSession, item_id: int, offset: int) -> bool:
        """Move a link `offset` places (-1 up, +1 down) within its menu; False when there
        is no such link or it is already at that end. Marks the nav fragment changed."""
        ...


class MarketService(Protocol):
    async def list_listed_products(
        self, session: AsyncSession, *, limit: int = 24
    ) -> list[ProductSummary]:
        """Products on sale (status listed), newest first."""
        ...

    async def list_product(self, session: AsyncSession, product_id: int) -> ProductSummary | None:
        """Put the product on sale (status listed) and record ProductListed, whose handler
        announces it from the market's actor (a Note with its price and link) in the same
        unit of work, once. None when there is no such product."""
        ...

    async def list_stalls(self, session: AsyncSession) -> list[StallSummary]:
        """Every stall with its count of listed products, by name."""
        ...


class CartService(Protocol):
    async def get_cart_summary(
        self, session: AsyncSession, *, user_id: int | None, anon_token: str | None
    ) -> CartSummary:
        """The member's cart (or the anonymous one for the token); an empty summary
        when there is no cart."""
        ...

    async def add_to_cart(
        self,
        session: AsyncSession,
        *,
        user_id: int | None,
        anon_token: str | None,
        line: NewCartLine,
    ) -> CartSummary:
        """Put `line` in the member's cart (or the anonymous cart of the token), creating
        the cart if needed; a second add of the same item raises its quantity. The cart
        as it is now. Raises CartItemUnavailable when the item is unknown, not on sale
        or has too few left; ValueError without an owner or with a bad quantity. Marks
        the owner's mini-cart fragment changed."""
        ...

    async def get_cart_item(self, session: AsyncSession, line: NewCartLine) -> CartItem:
        """The product or ticket type `line` names, with its title and price now. Raises
        CartItemUnavailable when it is unknown or not on sale."""
        ...

    async def merge_anonymous_cart(
        self, session: AsyncSession, *, user_id: int, anon_token: str
    ) -> int:
        """At sign-in: move the anonymous cart's lines into the member's cart (quantities of
        the same item add up, at most the per-line maximum) and delete the anonymous cart.
        How many lines moved; 0 when the token names no cart."""
        ...


class EventsService(Protocol):
    async def list_upcoming_events(
        self,
        session: AsyncSession,
        *,
        now: datetime,
        limit: int = 20,
        container_type: str | None = None,
        container_id: int | None = None,
    ) -> list[EventSummary]:
        """The next occurrence of each published event that has one at or after `now`,
        soonest first; only events of calendars attached to that container (a blog
        post, a stall, a market page) when one is given."""
        ...

    async def announce_event(self, session: AsyncSession, event_id: int) -> bool:
        """Record EventPublished for a published event again, so its handler federates it
        from the events actor in the unit of work: an Event with name, summary, start, end,
        place and url; Create the first time, Update after. False when there is no such
        event or it is not published."""
        ...

    async def publish_event(self, session: AsyncSession, event_id: int) -> bool:
        """Publish a draft (or cancelled) event; False when there is no such event.
        Records EventPublished: federated inside the unit, upcoming-events fragments
        dropped after its commit."""
        ...


class SocialService(Protocol):
    """The social domain: our actors, follows, objects, outbox and timelines.

    Reads (`get_*`, `list_*`, `count_*`, `is_*`) never write: a GET served from them leaves the
    database as it was. Actors are made by `create_member_actor` (when a member is
    created) and `ensure_app_actors` (start-up, seed and deploy time).
    """

    async def create_member_actor(self, session: AsyncSession, member_id: int) -> ActorRecord:
        """The member's Person actor with a keypair of its own, made now if it is missing
        (or keyless); calling again returns the same actor and key. Raises LookupError
        when there is no member with this id."""
        ...

    async def ensure_app_actors(self, session: AsyncSession) -> list[ActorRecord]:
        """Every app's actor and the instance actor, created or brought up to date with
        the settings (URLs and the platform key); in app order, the instance last."""
        ...

    async def get_app_actor(self, session: AsyncSession, app: str) -> ActorRecord:
        """The actor of `app` (an app name, or "instance") as the settings describe it,
        whether or not its row was made yet. Raises ValueError for an unknown app."""
        ...

    async def get_member_actor(self, session: AsyncSession, username: str) -> ActorRecord | None:
        """The actor of the member with this username (case-insensitive), with the
        member's current name, bio and avatar; None when there is no such member or
        the member has no actor yet."""
        ...

    async def get_collection(
        self, session: AsyncSession, actor: str, name: CollectionName, *, limit: int, offset: int
    ) -> CollectionSlice:
        """`limit` items from `offset` of our actor `actor`'s (its id) outbox (public
        activities), followers or following (accepted actor ids), newest first, and the
        collection's total; empty for an actor we do not have."""
        ...

    async def get_local_object(self, session: AsyncSession, ap_id: str) -> LocalObjectRecord | None:
        """Our public or unlisted object with this id (deleted ones too, to answer with a
        Tombstone); None for anything else."""
        ...

    async def get_public_activity(self, session: AsyncSession, ap_id: str) -> dict[str, Any] | None:
        """Our outbound activity's document when it may be served unsigned: addressed to
        the public, or a Follow, Accept, Reject, Undo, Like or Announce its recipient
        fetches; None otherwise."""
        ...

    async def get_usage(self, session: AsyncSession) -> SocialUsage:
        """How many members have an actor, and how many live local posts there are."""
        ...

    async def list_local_timeline(
        self, session: AsyncSession, *, limit: int = 20
    ) -> list[NoteSummary]:
        """Public notes by our members, newest first, content sanitized."""
        ...

    async def list_home_timeline(
        self, session: AsyncSession, member_id: int, *, limit: int = 20
    ) -> list[NoteSummary]:
        """What reached the member's home timeline (notes of those they follow, boosts),
        newest first, content sanitized; empty for no member."""
        ...

    async def list_notifications(
        self, session: AsyncSession, member_id: int, *, limit: int = 20
    ) -> list[NotificationRecord]:
        """The member's notifications, newest first, read or not; empty for no member."""
        ...

    async def count_unread_notifications(self, session: AsyncSession, member_id: int) -> int:
        """How many of the member's notifications are unread (0 for no member)."""
        ...

    async def mark_notifications_read(self, session: AsyncSession, member_id: int) -> int:
        """Mark every unread notification of the member read; how many were."""
        ...

    async def publish(
        self, session: AsyncSession, item: FederatedObject, verb: str
    ) -> ActivityRecord:
        """Put `verb` ("Create", "Update" or "Delete") of `item` by its app's actor in the
        outbox, in the caller's transaction; the EventProcessor delivers it to the
        actor's followers after the commit. The object becomes dereferenceable at its id
        (a Tombstone after Delete). ValueError for another verb."""
        ...

    async def is_published(self, session: AsyncSession, app: str, key: str) -> bool:
        """Whether the app's object `key` was federated and not deleted since."""
        ...

    async def follow(self, session: AsyncSession, *, username: str, target: str) -> FollowRecord:
        """The member follows the remote actor `target` (its id): a pending follow and a
        Follow in the outbox; the follow turns accepted when the Accept arrives. Fetches
        the remote actor (signed GET). Raises FederationError when the member (or their
        actor) does not exist or the remote actor cannot be fetched."""
        ...

    async def list_following(self, session: AsyncSession, username: str) -> list[FollowRecord]:
        """Whom the member follows or asked to follow, oldest first; empty for no member."""
        ...

    async def list_followers(self, session: AsyncSession, app: str) -> list[FollowRecord]:
        """Who follows the app's actor, oldest first; empty before anyone has."""
        ...


# The old name, kept while shared/services/publishing.py (the kernel engineer's) still
# imports it; the lead drops it when the publishing mixins become event handlers.
ActivityPubService = SocialService


class AccountService(Protocol):
    async def list_newsletters(self, session: AsyncSession) -> list[NewsletterSummary]:
        """Active newsletters with their confirmed subscriber counts, in display order."""
        ...
