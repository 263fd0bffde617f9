"""The one place that chooses each domain's implementation.

`services` is wired once by the app factory (and by workers and CLI commands
at their start); tests may rewire a domain with another implementation of
the same Protocol.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from shared.contracts.protocols import (
    BlogService,
    CartService,
    EventsService,
    IdentityService,
    MarketService,
    NewslettersService,
    PasskeyService,
    SocialService,
    TwoFactorService,
)

if TYPE_CHECKING:
    from shared.infrastructure.config import Settings


class Services:
    identity: IdentityService
    two_factor: TwoFactorService
    passkeys: PasskeyService
    blog: BlogService
    market: MarketService
    cart: CartService
    events: EventsService
    social: SocialService
    newsletters: NewslettersService

    def __getattr__(self, name: str) -> Any:
        # Only reached for attributes never set: say how to fix it.
        raise RuntimeError(f"services.{name} is not wired: call wire_services() at start-up")


services = Services()


def wire_services(settings: Settings | None = None) -> Services:
    """Wire every domain; `settings` gives the social domain our URLs and keys (publishing
    and making members' actors need it)."""
    from shared.infrastructure.keys import Purpose, derive_key
    from shared.services.blog import SqlBlogService
    from shared.services.cart import SqlCartService
    from shared.services.events import SqlEventsService
    from shared.services.identity import SqlIdentityService
    from shared.services.identity.passkeys import SqlPasskeyService
    from shared.services.identity.two_factor import SqlTwoFactorService
    from shared.services.market import SqlMarketService
    from shared.services.newsletters import SqlNewslettersService
    from shared.services.social import SqlSocialService

    services.social = SqlSocialService(settings)  # actors, follows, objects, timelines, outbox
    services.identity = SqlIdentityService()  # members (MemberCreated: social makes the actor)
    # Authenticator secrets are sealed under a key of their own (without settings: no 2FA).
    totp_key = derive_key(settings.secret_key, Purpose.TOTP_SECRETS) if settings else None
    services.two_factor = SqlTwoFactorService(totp_key)  # authenticator apps, recovery codes
    services.passkeys = SqlPasskeyService()  # WebAuthn: sign in alone, or as a second step
    services.cart = SqlCartService()  # carts, orders, payments
    # Domains that federate record events; their handlers write the outbox (handlers.py).
    services.blog = SqlBlogService()  # posts and pages
    services.market = SqlMarketService()  # stalls and products
    services.events = SqlEventsService()  # calendars, events, tickets
    services.newsletters = SqlNewslettersService(settings)  # lists, subscriptions, sends
    return services


def wire_services_once(settings: Settings | None = None) -> Services:
    """Wire every domain unless this process did already (a second app keeps the first wiring).

    The bootstrap calls this; `wire_services()` stays the explicit re-wire for tests.
    """
    wired = all(name in vars(services) for name in Services.__annotations__)
    return services if wired else wire_services(settings)
