"""The one list that wires who reacts to each domain event (cosmicpython's HANDLERS table).

Inside handlers run in the transaction that recorded the event and roll back
with it (outbox rows, jobs, a cart adopted); after-commit handlers run once
it has committed (cached fragments dropped, workers woken). Each line says why.
"""

from __future__ import annotations

import logging

from shared.contracts.events import (
    CartChanged,
    EventCancelled,
    EventChanged,
    EventContext,
    EventHandlers,
    EventPublished,
    MemberBookingsChanged,
    MemberCreated,
    MemberDeleted,
    MemberEmailChanged,
    MemberOrdersChanged,
    MemberProfileChanged,
    MemberSignedIn,
    NavigationChanged,
    NewsletterChanged,
    NotificationsChanged,
    OrderPaid,
    PostDeleted,
    PostPublished,
    PostUnpublished,
    PostUpdated,
    ProductArchived,
    ProductListed,
    ProductUpdated,
    StallChanged,
)
from shared.contracts.newsletters import NewsletterError
from shared.contracts.widgets import FragmentViewer, cart_changed, scope_of
from shared.services.blog_federation import (
    federate_deleted_post,
    federate_published_post,
    federate_updated_post,
)
from shared.services.cart import adopt_anonymous_cart
from shared.services.events.tickets import issue_tickets_on_paid
from shared.services.events_federation import (
    federate_cancelled_event,
    federate_changed_event,
    federate_published_event,
)
from shared.services.identity.deletion import queue_deletion_mail
from shared.services.market_federation import (
    announce_listed_product,
    federate_archived_product,
    federate_updated_product,
)
from shared.services.newsletters.member_email import follow_member_email
from shared.services.registry import services

log = logging.getLogger(__name__)


async def make_member_actor(event: MemberCreated, ctx: EventContext) -> None:
    await services.social.create_member_actor(ctx.session, event.user_id)


async def subscribe_new_member(event: MemberCreated, ctx: EventContext) -> None:
    user = await services.identity.get_user(ctx.session, event.user_id)
    if user is not None:
        await services.newsletters.subscribe_on_signup(ctx.session, user)


async def email_published_post(event: PostPublished, ctx: EventContext) -> None:
    newsletter_id = await services.blog.post_newsletter_id(ctx.session, event.post_id)
    if newsletter_id is None:
        return
    try:
        await services.newsletters.send_post(ctx.session, newsletter_id, event.post_id)
    except NewsletterError as error:
        # Sent already (republished) or the newsletter retired since it was scheduled:
        # the post still goes live.
        log.info("post %s not emailed to newsletter %s: %s", event.post_id, newsletter_id, error)


async def delete_member_actor(event: MemberDeleted, ctx: EventContext) -> None:
    await services.social.delete_member_actor(ctx.session, event.user_id)


async def mail_deletion_confirmation(event: MemberDeleted, ctx: EventContext) -> None:
    await queue_deletion_mail(ctx.session, event)


async def update_member_actor(event: MemberProfileChanged, ctx: EventContext) -> None:
    await services.social.send_actor_update(ctx.session, event.user_id)


async def refresh_mini_cart(event: CartChanged, ctx: EventContext) -> None:
    await ctx.fragments.invalidate(
        [cart_changed(user_id=event.user_id, anon_token=event.anon_token)]
    )


async def refresh_user_menu(event: NotificationsChanged, ctx: EventContext) -> None:
    # The user menu shows the member's unread notifications.
    await ctx.fragments.invalidate([scope_of("user-menu", FragmentViewer(user_id=event.user_id))])


async def refresh_newsletter_signup(event: NewsletterChanged, ctx: EventContext) -> None:
    await ctx.fragments.invalidate([scope_of("newsletter-signup")])


async def refresh_navigation(event: NavigationChanged, ctx: EventContext) -> None:
    # One nav fragment shows both menus: any menu's change drops it.
    await ctx.fragments.invalidate([scope_of("nav")])


async def refresh_upcoming_events(
    event: EventPublished | EventChanged | EventCancelled, ctx: EventContext
) -> None:
    # The event cards posts embed show the same dates as the upcoming list.
    await ctx.fragments.invalidate([scope_of("upcoming-events"), scope_of("event-card")])


async def refresh_product_cards(
    event: ProductListed | ProductUpdated | ProductArchived | OrderPaid, ctx: EventContext
) -> None:
    # Posts embed product cards with today's price and stock: a product's change, or a
    # paid order taking its stock, drops them all.
    await ctx.fragments.invalidate([scope_of("product-card")])


async def refresh_member_orders(event: MemberOrdersChanged, ctx: EventContext) -> None:
    # A paid order issues tickets in its own transaction: the tickets card goes with it.
    member = FragmentViewer(user_id=event.user_id)
    await ctx.fragments.invalidate(
        [scope_of("member-orders", member), scope_of("member-tickets", member)]
    )


async def refresh_member_bookings(event: MemberBookingsChanged, ctx: EventContext) -> None:
    member = FragmentViewer(user_id=event.user_id)
    await ctx.fragments.invalidate([scope_of("member-bookings", member)])


async def refresh_member_notifications(event: NotificationsChanged, ctx: EventContext) -> None:
    member = FragmentViewer(user_id=event.user_id)
    await ctx.fragments.invalidate([scope_of("member-notifications", member)])


async def refresh_member_stalls(
    event: StallChanged | ProductListed | ProductUpdated | ProductArchived, ctx: EventContext
) -> None:
    # The card shows each stall's status and product count: its owner's and helpers' go
    # (and a removed helper's, whose card must lose the stall).
    if isinstance(event, StallChanged):
        ids = await services.market.list_stall_manager_ids(ctx.session, stall_id=event.stall_id)
        ids = sorted({*ids, *event.also})
    else:
        ids = await services.market.list_stall_manager_ids(ctx.session, product_id=event.product_id)
    await ctx.fragments.invalidate(
        [scope_of("member-stalls", FragmentViewer(user_id=user_id)) for user_id in ids]
    )


def event_handlers() -> EventHandlers:
    """A process's table; the bootstrap builds it once per platform."""
    table = EventHandlers()
    # Signing in keeps what the visitor put in the cart (cart domain reacts to identity's event).
    table.inside(MemberSignedIn, adopt_anonymous_cart)
    # A member is never without an actor and keys: the social domain makes them with the account.
    table.inside(MemberCreated, make_member_actor)
    # Newsletters marked "subscribed on sign-up" take the new member in the same transaction.
    table.inside(MemberCreated, subscribe_new_member)
    # A confirmed new address takes the old one's subscriptions (merged per newsletter).
    table.inside(MemberEmailChanged, follow_member_email)
    # A member's profile change reaches their followers' servers as an actor Update.
    table.inside(MemberProfileChanged, update_member_actor)
    # A deleted account's actor is deleted on the fediverse, and the old address told, in
    # the deletion's transaction: a rollback leaves the actor and sends no mail.
    table.inside(MemberDeleted, delete_member_actor)
    table.inside(MemberDeleted, mail_deletion_confirmation)
    # Federation: each domain's mapping writes its outbox row in the change's transaction.
    table.inside(PostPublished, federate_published_post)
    # "Publish and send": the issue is queued in the publishing transaction, so a scheduled
    # post is emailed when it goes live, whichever process publishes it.
    table.inside(PostPublished, email_published_post)
    table.inside(PostUpdated, federate_updated_post)
    table.inside(PostDeleted, federate_deleted_post)
    table.inside(PostUnpublished, federate_deleted_post)  # withdrawn: a Delete, like deleting
    table.inside(ProductListed, announce_listed_product)
    table.inside(ProductUpdated, federate_updated_product)
    table.inside(ProductArchived, federate_archived_product)
    table.inside(EventPublished, federate_published_event)
    table.inside(EventChanged, federate_changed_event)
    table.inside(EventCancelled, federate_cancelled_event)
    table.inside(OrderPaid, issue_tickets_on_paid)
    # Cached fragments, dropped only once the change is visible to the next fetch.
    table.after_commit(CartChanged, refresh_mini_cart)
    table.after_commit(NavigationChanged, refresh_navigation)
    table.after_commit(NotificationsChanged, refresh_user_menu)
    # The member's dashboard cards: never a stale order, ticket or booking.
    table.after_commit(MemberOrdersChanged, refresh_member_orders)
    table.after_commit(MemberBookingsChanged, refresh_member_bookings)
    table.after_commit(NotificationsChanged, refresh_member_notifications)
    table.after_commit(StallChanged, refresh_member_stalls)  # approval included
    table.after_commit(ProductListed, refresh_member_stalls)
    table.after_commit(ProductUpdated, refresh_member_stalls)
    table.after_commit(ProductArchived, refresh_member_stalls)
    # The footer's signup form lists the newsletters: a new or renamed one shows at once.
    table.after_commit(NewsletterChanged, refresh_newsletter_signup)
    table.after_commit(EventPublished, refresh_upcoming_events)
    table.after_commit(EventChanged, refresh_upcoming_events)
    table.after_commit(EventCancelled, refresh_upcoming_events)
    table.after_commit(ProductListed, refresh_product_cards)
    table.after_commit(ProductUpdated, refresh_product_cards)
    table.after_commit(ProductArchived, refresh_product_cards)
    table.after_commit(OrderPaid, refresh_product_cards)  # the stock it took
    return table
