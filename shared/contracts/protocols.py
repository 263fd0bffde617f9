"""One Protocol per domain: what the other apps may ask of it.

Every method takes the caller's AsyncSession first, so work across domains
shares one transaction; the caller (a route, a worker) commits.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.contracts import newsletters as nl
from shared.contracts.blog import BlogReader, BlogStaffRoles, BlogWriter
from shared.contracts.calendars import TicketRecord, TicketSeats
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
    PasskeyCeremony,
    PasskeyParty,
    PasskeyRecord,
    PostRecord,
    PostSummary,
    ProductSummary,
    SecondFactors,
    SocialUsage,
    StallSummary,
    TagRecord,
    TotpEnrolment,
    UserRecord,
)
from shared.contracts.events import MemberDeleted
from shared.contracts.member import MemberBooking, MemberOrder
from shared.contracts.social import (
    AccountRecord,
    DomainBlockRecord,
    FollowRequest,
    NewStatus,
    NotificationGroup,
    NotificationItem,
    PageQuery,
    Relationship,
    StatusContext,
    StatusRecord,
    TimelinePage,
)

if TYPE_CHECKING:  # the transport's client, named in the social domain's inbound calls
    from shared.infrastructure.activitypub.http import FederationClient
from shared.contracts.market import (
    CategoryRecord,
    ImportPreview,
    MarketPageRecord,
    NewProduct,
    NewStall,
    ProductPage,
    ProductQuery,
    ProductRecord,
    StallRecord,
)
from shared.contracts.profiles import MemberProfile


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
        """A fresh single-use token ("password_reset", "email_verification" or
        "magic_link") for the member's current address; earlier unused tokens of that
        purpose stop working."""
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

    async def sign_in_with_link(
        self, session: AsyncSession, token: str, *, use: bool = True
    ) -> UserRecord:
        """The member a sign-in link ("magic_link" token) was mailed to; the link is used
        up and the address counts as verified (`use=False`: checked only, nothing
        changes). Raises AccountError("token", message) saying whether the link was used
        already, expired or is unknown."""
        ...

    async def has_password(self, session: AsyncSession, user_id: int) -> bool:
        """Whether the member has a password (one signing in by mailed link only has none)."""
        ...

    async def tombstone_member(self, session: AsyncSession, user_id: int) -> MemberDeleted:
        """Delete the account, keeping the row as a tombstone (username reserved, address
        and name replaced, every credential, grant and session gone); records and returns
        MemberDeleted. LookupError when there is no such (live) member."""
        ...

    async def get_profile(self, session: AsyncSession, user_id: int) -> MemberProfile | None:
        """The member's display name, bio and avatar, or None when there is no such member."""
        ...

    async def update_profile(
        self, session: AsyncSession, user_id: int, profile: MemberProfile
    ) -> MemberProfile | None:
        """Store the profile and record MemberProfileChanged (the social domain federates
        the actor's Update); None when there is no such member; AccountError for a bad field."""
        ...


class PasskeyService(Protocol):
    async def registration_options(
        self, session: AsyncSession, rp: PasskeyParty, user: UserRecord
    ) -> PasskeyCeremony:
        """Options to create a discoverable passkey for the member (none of theirs twice)."""
        ...

    async def register(
        self,
        session: AsyncSession,
        rp: PasskeyParty,
        user_id: int,
        credential: str,
        challenge: bytes,
        name: str,
    ) -> PasskeyRecord:
        """Keep the passkey the browser made; raises PasskeyError when it does not verify."""
        ...

    async def authentication_options(
        self, session: AsyncSession, rp: PasskeyParty, user_id: int | None = None
    ) -> PasskeyCeremony:
        """Options to sign in with any passkey (None) or one of `user_id`'s."""
        ...

    async def authenticate(
        self,
        session: AsyncSession,
        rp: PasskeyParty,
        credential: str,
        challenge: bytes,
        *,
        user_id: int | None = None,
    ) -> UserRecord:
        """The member whose passkey signed the challenge (only `user_id`'s, if given);
        raises PasskeyError when it is unknown or does not verify."""
        ...

    async def list_passkeys(self, session: AsyncSession, user_id: int) -> list[PasskeyRecord]:
        """The member's passkeys, oldest first."""
        ...

    async def has_passkeys(self, session: AsyncSession, user_id: int) -> bool:
        """Whether the member has at least one passkey."""
        ...

    async def remove_passkey(self, session: AsyncSession, user_id: int, passkey_id: int) -> bool:
        """Remove one of the member's passkeys; False when it is not theirs."""
        ...


class TwoFactorService(Protocol):
    async def start_totp(self, session: AsyncSession, user_id: int) -> TotpEnrolment:
        """A new unconfirmed authenticator secret for the member (replacing an unconfirmed
        one). Raises ValueError when one is already confirmed, LookupError for no member."""
        ...

    async def pending_totp(self, session: AsyncSession, user_id: int) -> TotpEnrolment | None:
        """The unconfirmed enrolment in progress, or None."""
        ...

    async def confirm_totp(
        self, session: AsyncSession, user_id: int, code: str
    ) -> list[str] | None:
        """Turn the pending secret on if `code` matches: the new recovery codes (shown once),
        or None for a wrong code or nothing pending."""
        ...

    async def new_recovery_codes(self, session: AsyncSession, user_id: int) -> list[str]:
        """A fresh set of recovery codes; the earlier set stops working."""
        ...

    async def has_totp(self, session: AsyncSession, user_id: int) -> bool:
        """Whether a confirmed authenticator app guards the member's sign-in."""
        ...

    async def check_code(self, session: AsyncSession, user_id: int, code: str) -> bool:
        """Whether `code` is a current authenticator code (accepted once) or an unused
        recovery code (used up by this call)."""
        ...

    async def remove_totp(self, session: AsyncSession, user_id: int) -> bool:
        """Remove the authenticator app and its recovery codes; whether there was one."""
        ...

    async def get_factors(self, session: AsyncSession, user_id: int) -> SecondFactors:
        """The member's second factors, as their security page lists them."""
        ...


class BlogService(BlogReader, BlogWriter, BlogStaffRoles, Protocol):
    """The blog: readers' lists and pages (here and BlogReader), staff writing
    (BlogWriter, shared/contracts/blog.py) and the navigation menus."""

    async def export_member_posts(
        self, session: AsyncSession, user_id: int
    ) -> list[dict[str, Any]]:
        """The posts and pages the member wrote (a byline, or made by them), JSON-ready."""
        ...

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
    """Stalls, products with variants, search, market pages and CSV import/export.

    Writes raise `MarketError` (shared.contracts.market) naming each refused field;
    "not found" is None. Only approved stalls and their listed or sold-out products
    are public; routes check who may manage a stall with `can_manage_stall`.
    """

    async def list_listed_products(
        self, session: AsyncSession, *, limit: int = 24
    ) -> list[ProductSummary]:
        """Public products (listed, or sold out: shown with the badge) of approved stalls,
        newest first."""
        ...

    async def list_product(self, session: AsyncSession, product_id: int) -> ProductSummary | None:
        """Put the product on sale (status listed) and record ProductListed, whose handler
        announces it from the market's actor (a Note with its price and link) in the same
        unit of work, once. None when there is no such product."""
        ...

    async def list_stalls(self, session: AsyncSession) -> list[StallSummary]:
        """Every approved stall with its count of public products, by name."""
        ...

    async def apply_for_stall(
        self, session: AsyncSession, owner_id: int, draft: NewStall
    ) -> StallRecord:
        """A pending stall owned by `owner_id`; MarketError for a bad or taken field."""
        ...

    async def update_stall(
        self, session: AsyncSession, stall_id: int, draft: NewStall
    ) -> StallRecord | None:
        """Change a stall's name, story, location, pickup details (not its slug)."""
        ...

    async def review_stall(
        self, session: AsyncSession, stall_id: int, *, approve: bool
    ) -> StallRecord | None:
        """Approve (records StallApproved) or reject an application; None if unknown."""
        ...

    async def get_stall(self, session: AsyncSession, slug: str) -> StallRecord | None:
        """The stall at `slug` in any status (the route decides who may see it)."""
        ...

    async def can_manage_stall(self, session: AsyncSession, stall_id: int, user_id: int) -> bool:
        """True for the stall's owner and its helpers."""
        ...

    async def add_stall_helper(self, session: AsyncSession, stall_id: int, username: str) -> None:
        """Let the member `username` manage the stall; MarketError when there is none."""
        ...

    async def remove_stall_helper(self, session: AsyncSession, stall_id: int, user_id: int) -> None:
        """Take a helper off the stall (nothing when they were not one)."""
        ...

    async def list_stall_applications(self, session: AsyncSession) -> list[StallRecord]:
        """Pending stall applications, oldest first."""
        ...

    async def list_managed_stalls(self, session: AsyncSession, user_id: int) -> list[StallSummary]:
        """The stalls `user_id` owns or helps with, in any status."""
        ...

    async def list_owned_live_stalls(
        self, session: AsyncSession, user_id: int
    ) -> list[StallSummary]:
        """The stalls `user_id` owns that are approved or awaiting approval (not rejected):
        whose owner must hand them over before deleting their account."""
        ...

    async def list_stall_manager_ids(
        self, session: AsyncSession, *, stall_id: int | None = None, product_id: int | None = None
    ) -> list[int]:
        """The owner's and helpers' ids of the stall (or of the product's stall); empty
        when there is none. Whose "stalls I run" card a change to it touches."""
        ...

    async def create_product(
        self, session: AsyncSession, stall_id: int, draft: NewProduct
    ) -> ProductRecord:
        """A draft product with its variants; MarketError for an unknown category or a
        taken slug."""
        ...

    async def update_product(
        self, session: AsyncSession, product_id: int, draft: NewProduct
    ) -> ProductRecord | None:
        """Replace a product's fields and variants (variant ids kept by position);
        records ProductUpdated when it is public. None if unknown."""
        ...

    async def set_product_status(
        self, session: AsyncSession, product_id: int, status: str
    ) -> ProductRecord | None:
        """Move a product to `status`: listing records ProductListed (first time on sale),
        archiving ProductArchived. MarketError when a stall not approved lists."""
        ...

    async def add_product_image(
        self, session: AsyncSession, product_id: int, url: str, alt: str
    ) -> None:
        """Add a stored image to a product (MarketError past the limit)."""
        ...

    async def get_product(
        self, session: AsyncSession, stall_slug: str, product_slug: str
    ) -> ProductRecord | None:
        """The product in any status (the route decides who may see it), or None."""
        ...

    async def list_stall_products(
        self, session: AsyncSession, stall_id: int, *, public_only: bool = True
    ) -> list[ProductSummary]:
        """A stall's products by title; only listed and sold-out ones by default."""
        ...

    async def list_stall_product_records(
        self, session: AsyncSession, stall_id: int
    ) -> list[ProductRecord]:
        """Every product of a stall with its variants, by slug (the export)."""
        ...

    async def list_categories(self, session: AsyncSession) -> list[CategoryRecord]:
        """The category tree, depth first, each with its depth."""
        ...

    async def search_products(self, session: AsyncSession, query: ProductQuery) -> ProductPage:
        """Public products matching `query`, one page of them, with the total."""
        ...

    async def list_products_by_id(
        self, session: AsyncSession, product_ids: list[int]
    ) -> list[ProductSummary]:
        """The public ones of `product_ids`, in that order."""
        ...

    async def save_market_page(
        self,
        session: AsyncSession,
        page_id: int | None,
        *,
        title: str,
        slug: str,
        html: str,
        is_published: bool,
        stall_slugs: list[str],
        product_refs: list[str],
    ) -> MarketPageRecord:
        """Create or replace a market page; MarketError naming an unknown stall/product."""
        ...

    async def get_market_page(self, session: AsyncSession, slug: str) -> MarketPageRecord | None:
        """The page at `slug` (published or not), or None."""
        ...

    async def get_market_page_by_id(
        self, session: AsyncSession, page_id: int
    ) -> MarketPageRecord | None:
        """The page with `page_id`, or None."""
        ...

    async def list_market_pages(
        self, session: AsyncSession, *, published_only: bool = True
    ) -> list[MarketPageRecord]:
        """Market pages by title."""
        ...

    async def export_stall_csv(self, session: AsyncSession, stall_id: int) -> str:
        """The stall's products and variants as CSV, one row per variant."""
        ...

    async def import_stall_csv(
        self, session: AsyncSession, stall_id: int, text: str, *, dry_run: bool
    ) -> ImportPreview:
        """Read a CSV; each row's problems by column. Writes (drafts, or updates by slug)
        only when not `dry_run` and no row has a problem; MarketError for a bad file."""
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

    async def count_held_seats(
        self, session: AsyncSession, ticket_type_ids: Iterable[int]
    ) -> dict[int, int]:
        """Seats of each ticket type held for orders awaiting payment (unexpired holds);
        ticket types with none are left out. Seats sold are tickets issued plus these."""
        ...

    async def list_member_orders(
        self, session: AsyncSession, user_id: int, *, limit: int = 50
    ) -> list[MemberOrder]:
        """The member's newest `limit` orders, newest first."""
        ...

    async def get_member_order(
        self, session: AsyncSession, user_id: int, order_id: int
    ) -> MemberOrder | None:
        """The order if it is this member's; None otherwise (someone else's looks unknown)."""
        ...

    async def cancel_member_order(
        self, session: AsyncSession, user_id: int, order_id: int
    ) -> MemberOrder:
        """Cancel the member's unpaid order and free its holds. OrderNotFound when it is not
        theirs, OrderStateError unless it awaits payment. Records MemberOrdersChanged."""
        ...

    async def anonymise_member_orders(self, session: AsyncSession, user_id: int) -> int:
        """For a deleted account: the member's orders kept for the accounts (totals and
        lines) but detached from them, name, phone, notes, address and email removed; an
        unpaid one cancelled; their cart emptied. How many orders."""
        ...

    async def export_member_orders(
        self, session: AsyncSession, user_id: int
    ) -> list[dict[str, Any]]:
        """Every order of the member, as plain JSON-ready values, for their data export."""
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

    async def get_event_summary(
        self, session: AsyncSession, event_id: int, *, now: datetime
    ) -> EventSummary | None:
        """One published, public event as it next happens; None when unknown or over."""
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

    async def get_ticket_seats(
        self,
        session: AsyncSession,
        ticket_type_ids: Iterable[int],
        *,
        now: datetime,
        lock: bool = False,
    ) -> dict[int, TicketSeats]:
        """The ticket types named (unknown ones left out), each with its sales state at
        `now` (an unpublished event's tickets are closed) and the seats issued so far.
        `lock` locks the ticket type rows in id order until the transaction ends, so
        concurrent checkouts for the last seats queue instead of overselling."""
        ...

    async def list_member_tickets(
        self, session: AsyncSession, user_id: int, *, now: datetime, limit: int = 50
    ) -> list[TicketRecord]:
        """The member's tickets for occurrences still to come, soonest first."""
        ...

    async def list_member_bookings(
        self, session: AsyncSession, user_id: int, *, now: datetime, limit: int = 50
    ) -> list[MemberBooking]:
        """The member's live bookings for occurrences still to come, soonest first."""
        ...

    async def cancel_member_booking(
        self, session: AsyncSession, user_id: int, booking_id: int, *, base_url: str
    ) -> MemberBooking | None:
        """Cancel the member's booking (the longest waiting gets the seat, mailed with links
        to `base_url`); None when it is not theirs. Records MemberBookingsChanged."""
        ...

    async def release_member(
        self, session: AsyncSession, user_id: int, *, now: datetime, base_url: str
    ) -> None:
        """For a deleted account: coming bookings cancelled (the waiting list moves up and
        is mailed, links on `base_url`), coming tickets voided without refund, and the
        member's name and address taken off every booking and ticket."""
        ...

    async def export_member_events(self, session: AsyncSession, user_id: int) -> dict[str, Any]:
        """The member's tickets and bookings, JSON-ready, for their data export."""
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

    async def delete_member_actor(self, session: AsyncSession, member_id: int) -> bool:
        """Queue a signed Delete of the member's actor to their followers and mark it
        deleted (its URL, WebFinger and outbox answer 410); False without an actor."""
        ...

    async def member_actor_deleted(self, session: AsyncSession, username: str) -> bool:
        """Whether `username` was a member of ours whose actor is deleted (410, not 404)."""
        ...

    async def send_actor_update(self, session: AsyncSession, member_id: int) -> bool:
        """Put an Update of the member's actor (name, bio, avatar, follow approval as they
        are now) in the outbox, to their followers; False for a member without an actor.
        The handler of MemberProfileChanged calls it."""
        ...

    async def ensure_inbox_recipient(
        self, session: AsyncSession, app: str, kind: str, username: str | None = None
    ) -> ActorRecord | None:
        """The local actor whose inbox a POST to `app` names: `kind` "app" (the app's
        actor), "instance" or "member" (`username`; both on federation only). Its row is
        made or brought up to date with the settings (a write: inbox POSTs only). None
        when `app` has no such actor or no member has the username."""
        ...

    async def prefetch_inbound(
        self,
        sessions: async_sessionmaker[AsyncSession],
        client: FederationClient,
        sender: str,
        activity: dict[str, Any],
    ) -> None:
        """Fetch from other servers what the verified `activity` of the cached actor
        `sender` (its id) needs before it is applied (an actor's fresh document, a
        boosted post); no transaction is held while asking. Raises LookupError for an
        actor we never cached; fetch failures of optional parts are logged, not raised."""
        ...

    async def apply_inbound(
        self, session: AsyncSession, sender: str, activity: dict[str, Any]
    ) -> None:
        """Apply the verified `activity` of `sender` in the caller's transaction: follows
        (answered with Accept), posts into followers' timelines, notifications, deletes.
        Idempotent: a redelivery changes nothing. Asks no other server. Raises
        LookupError for an actor we never cached."""
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

    async def follow(
        self, session: AsyncSession, client: FederationClient, *, username: str, target: str
    ) -> FollowRecord:
        """The member follows the remote actor `target` (its id): a pending follow and a
        Follow in the outbox; the follow turns accepted when the Accept arrives. Fetches
        the remote actor (signed GET, with the process's `client`). Raises
        FederationError when the member (or their actor) does not exist or the remote
        actor cannot be fetched."""
        ...

    # -- the social hub (issue 18). SocialError (contracts/social.py) carries the HTTP
    # status a route answers with; NotVisible (404) for what the viewer may not see.

    async def get_account(self, session: AsyncSession, account_id: int) -> AccountRecord:
        """The account (an actor: ours or cached) with its counts; NotVisible if none."""
        ...

    async def get_member_account(self, session: AsyncSession, member_id: int) -> AccountRecord:
        """The member's own account with its counts; NotVisible without an actor."""
        ...

    async def lookup_account(self, session: AsyncSession, handle: str) -> AccountRecord:
        """The account we know by `cleo` or `@alice@host`, asking nobody; NotVisible if
        we do not know it, SocialError (422) for something that is not a handle."""
        ...

    async def resolve_account(
        self, session: AsyncSession, client: FederationClient, handle: str
    ) -> AccountRecord:
        """Like `lookup_account`, but a handle we do not know is looked up by WebFinger
        on its server and its actor fetched and cached. SocialError (404) when it
        cannot be found."""
        ...

    async def resolve_mentions(
        self, session: AsyncSession, client: FederationClient, text: str
    ) -> int:
        """Look up (WebFinger) and cache the remote accounts `text` mentions that we have
        not met, so composing links them; how many were found. Unknown ones are skipped."""
        ...

    async def create_status(
        self, session: AsyncSession, member_id: int, new: NewStatus
    ) -> StatusRecord:
        """The member posts: mentions, hashtags and links marked up, a Create in the
        outbox, the status in local timelines and local mentions notified at once.
        SocialError (422) over the character limit, for an unknown visibility, more
        than four images or a bad language; (404) replying to what the member cannot
        see; (403) for a member without an actor."""
        ...

    async def edit_status(
        self, session: AsyncSession, member_id: int, status_id: int, new: NewStatus
    ) -> StatusRecord:
        """The member's own status changed (text, warning, images, language) and an
        Update sent; NotVisible for anyone else's."""
        ...

    async def delete_status(
        self, session: AsyncSession, member_id: int, status_id: int
    ) -> StatusRecord:
        """The member's own status deleted (a Delete sent); what it was comes back."""
        ...

    async def get_status(
        self, session: AsyncSession, member_id: int | None, status_id: int
    ) -> StatusRecord:
        """The status as the member (None: a visitor) sees it; NotVisible otherwise."""
        ...

    async def get_context(
        self, session: AsyncSession, member_id: int | None, status_id: int
    ) -> StatusContext:
        """The status's visible ancestors (oldest first) and replies."""
        ...

    async def react(
        self,
        session: AsyncSession,
        member_id: int,
        status_id: int,
        kind: str,
        *,
        undo: bool = False,
    ) -> StatusRecord:
        """Favourite (`kind` "like": a Like) or boost ("announce": an Announce) the
        status, or `undo` it (an Undo); idempotent. The status after. SocialError (422)
        boosting a followers-only or direct status; NotVisible for what is not seen."""
        ...

    async def home_page(
        self, session: AsyncSession, member_id: int, page: PageQuery
    ) -> TimelinePage:
        """The member's home timeline (those they follow, boosts, their own posts),
        keyset-paged by timeline entry id; muted and blocked accounts left out."""
        ...

    async def public_page(
        self,
        session: AsyncSession,
        member_id: int | None,
        page: PageQuery,
        *,
        local: bool = False,
        tag: str | None = None,
    ) -> TimelinePage:
        """Public statuses by id: all we know, our members' only (`local`), or one
        hashtag's (`tag`)."""
        ...

    async def account_page(
        self, session: AsyncSession, member_id: int | None, account_id: int, page: PageQuery
    ) -> TimelinePage:
        """The account's statuses the viewer may see, newest first."""
        ...

    async def follow_account(
        self, session: AsyncSession, member_id: int, account_id: int
    ) -> Relationship:
        """Follow: a remote account gets a Follow (pending until its Accept); one of ours
        is followed at once, or asked, when it approves followers by hand."""
        ...

    async def unfollow_account(
        self, session: AsyncSession, member_id: int, account_id: int
    ) -> Relationship:
        """Stop following (an Undo of the Follow to a remote account); idempotent."""
        ...

    async def get_relationship(
        self, session: AsyncSession, member_id: int, account_id: int
    ) -> Relationship:
        """How the member stands to the account (following, requested, muting, ...)."""
        ...

    async def list_follow_requests(
        self, session: AsyncSession, member_id: int
    ) -> list[FollowRequest]:
        """Pending follows of the member (who approves by hand), newest first."""
        ...

    async def answer_follow_request(
        self, session: AsyncSession, member_id: int, account_id: int, *, accept: bool
    ) -> Relationship:
        """Accept or reject a pending follow (an Accept or Reject to a remote follower);
        NotVisible when there is no such request."""
        ...

    async def set_locked(self, session: AsyncSession, member_id: int, locked: bool) -> None:
        """Whether the member approves followers by hand."""
        ...

    async def moderate(
        self, session: AsyncSession, member_id: int, account_id: int, action: str
    ) -> Relationship:
        """ "mute", "unmute", "block" (a Block sent; follows both ways end) or "unblock"
        (an Undo). ValueError for another action."""
        ...

    async def report(
        self,
        session: AsyncSession,
        member_id: int,
        account_id: int,
        status_ids: list[int],
        comment: str,
    ) -> int:
        """Report the account (and some of its statuses): a Flag from the instance actor
        to a remote account's server. The report's id."""
        ...

    async def block_domain(self, session: AsyncSession, domain: str, reason: str) -> int:
        """An admin blocks a server: its inbox POSTs refused from now on, its actors'
        follows, posts, reactions and notifications purged. How many posts went."""
        ...

    async def unblock_domain(self, session: AsyncSession, domain: str) -> bool:
        """Lift a domain block; False when there was none."""
        ...

    async def list_domain_blocks(self, session: AsyncSession) -> list[DomainBlockRecord]:
        """Blocked servers, by name."""
        ...

    async def is_domain_blocked(self, session: AsyncSession, host: str) -> bool:
        """Whether the host, or a domain above it, is blocked."""
        ...

    async def list_notification_items(
        self,
        session: AsyncSession,
        member_id: int,
        *,
        max_id: int | None = None,
        limit: int = 40,
        kinds: tuple[str, ...] = (),
    ) -> list[NotificationItem]:
        """The member's notifications newest first, from muted or blocked accounts left
        out; only `kinds` when given."""
        ...

    async def list_notification_groups(
        self, session: AsyncSession, member_id: int, *, max_id: int | None = None, limit: int = 40
    ) -> list[NotificationGroup]:
        """The same, grouped: favourites and boosts of one status, and follows, each one
        group (Mastodon 4.3)."""
        ...

    async def list_following(self, session: AsyncSession, username: str) -> list[FollowRecord]:
        """Whom the member follows or asked to follow, oldest first; empty for no member."""
        ...

    async def list_followers(self, session: AsyncSession, app: str) -> list[FollowRecord]:
        """Who follows the app's actor, oldest first; empty before anyone has."""
        ...


class NewslettersService(Protocol):
    """Errors are `shared.contracts.newsletters.NewsletterError`s, each with a `message`."""

    async def list_newsletters(self, session: AsyncSession) -> list[NewsletterSummary]:
        """Active newsletters with their confirmed subscriber counts, in display order."""
        ...

    async def get_newsletter(
        self, session: AsyncSession, newsletter_id: int
    ) -> nl.NewsletterRecord | None:
        """The newsletter, or None."""
        ...

    async def create_newsletter(
        self, session: AsyncSession, new: nl.NewNewsletter
    ) -> nl.NewsletterRecord:
        """A new newsletter (its slug from the name); NewsletterError for a bad field."""
        ...

    async def update_newsletter(
        self, session: AsyncSession, newsletter_id: int, new: nl.NewNewsletter
    ) -> nl.NewsletterRecord | None:
        """The edited newsletter, or None when there is none; NewsletterError for a bad field."""
        ...

    async def request_subscription(
        self, session: AsyncSession, email: str, newsletter_ids: Iterable[int]
    ) -> nl.PendingSubscription:
        """The confirmation to mail (nothing is written); InvalidEmail, NewsletterError,
        AddressSuppressed, AlreadySubscribed."""
        ...

    async def read_confirmation(self, session: AsyncSession, token: str) -> nl.PendingSubscription:
        """What a confirmation link asks for; InvalidLink (forged, expired), LinkAlreadyUsed."""
        ...

    async def confirm_subscription(
        self, session: AsyncSession, token: str
    ) -> list[nl.SubscriptionRecord]:
        """The confirmed subscriptions the link makes, once; as read_confirmation raises."""
        ...

    async def get_by_unsubscribe_token(
        self, session: AsyncSession, slug: str, token: str
    ) -> nl.SubscriptionRecord:
        """The subscription of that list the token names; InvalidLink otherwise."""
        ...

    async def unsubscribe(
        self, session: AsyncSession, slug: str, token: str
    ) -> nl.SubscriptionRecord:
        """Unsubscribe that recipient from that list only; InvalidLink otherwise."""
        ...

    async def list_preferences(
        self, session: AsyncSession, user: UserRecord
    ) -> list[nl.MemberPreference]:
        """Every active newsletter and whether the member receives it."""
        ...

    async def set_preferences(
        self, session: AsyncSession, user: UserRecord, newsletter_ids: Iterable[int]
    ) -> None:
        """The member receives exactly these; AddressSuppressed, NewsletterError."""
        ...

    async def remove_member(self, session: AsyncSession, user: UserRecord) -> int:
        """For a deleted account: every subscription of the member (by account or by their
        address) removed; how many."""
        ...

    async def export_member_data(
        self, session: AsyncSession, user: UserRecord
    ) -> dict[str, object]:
        """The member's subscriptions (with their dates) and suppressions, JSON-ready."""
        ...

    async def subscribe_on_signup(self, session: AsyncSession, user: UserRecord) -> None:
        """Subscribe a new member to the newsletters marked "subscribed on sign-up"."""
        ...

    async def create_issue(
        self, session: AsyncSession, newsletter_id: int, subject: str, text: str
    ) -> int:
        """Queue a standalone issue (its send job in this transaction); the send id."""
        ...

    async def send_post(self, session: AsyncSession, newsletter_id: int, post_id: int) -> int:
        """Queue a published post as an issue, in the caller's transaction; the send id.
        NewsletterError for an unknown newsletter, an unpublished post, or one this
        newsletter has had already (a post is one issue at most)."""
        ...

    async def list_sends(self, session: AsyncSession, newsletter_id: int) -> list[nl.SendProgress]:
        """The newsletter's sends, newest first, with queued/sent/failed counts."""
        ...

    async def list_post_sends(self, session: AsyncSession, post_id: int) -> list[nl.SendProgress]:
        """The sends of one blog post, newest first, with their counts."""
        ...

    async def list_suppressions(
        self, session: AsyncSession, email: str | None = None
    ) -> list[nl.SuppressionRecord]:
        """Suppressed addresses, newest first (only `email`'s when given)."""
        ...

    async def lift_suppression(self, session: AsyncSession, email: str) -> bool:
        """Whether a suppression of the address was lifted."""
        ...
