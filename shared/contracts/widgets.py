"""Fragment types: the cross-app pieces of UI, who serves each and what it depends on.

An app serves its fragments at `GET /internal/fragments/<type>`; the other
apps compose them into their pages with `fetch_fragments()`. This module is
the contract between the two sides: the type's owner, the query parameters
it takes, and what of the viewer its HTML depends on (which decides whether
it is cached once for everyone or once per member / per cart).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from hashlib import sha256
from typing import Literal

# Anonymous carts are keyed by this cookie. The cart app sets it for the
# whole site (every app host), so that any app can show the visitor's mini-cart.
ANON_CART_COOKIE = "ra_cart"

# What a fragment's HTML depends on besides its params:
#   nothing - the same for every viewer (cached once)
#   member  - the signed-in member, or "anonymous" (cached per member)
#   cart    - the member's cart, or the anonymous cart of the cookie (cached per cart)
Dependence = Literal["nothing", "member", "cart"]


@dataclass(frozen=True, slots=True)
class FragmentType:
    name: str
    app: str
    depends_on: Dependence
    params: frozenset[str] = frozenset()

    @property
    def is_personal(self) -> bool:
        return self.depends_on != "nothing"


FRAGMENT_TYPES: dict[str, FragmentType] = {
    spec.name: spec
    for spec in (
        # The site navigation menu, managed in blog's admin. `current` marks
        # the composing app's tab; `menu` is "primary" unless said otherwise.
        FragmentType("nav", "blog", "nothing", frozenset({"menu", "current"})),
        # Item count and total of the viewer's cart.
        FragmentType("mini-cart", "cart", "cart"),
        # The viewer's name and links, or the way to sign in.
        FragmentType("user-menu", "account", "member"),
        # The footer's newsletter subscribe form (an address and the newsletters on offer).
        FragmentType("newsletter-signup", "account", "nothing"),
        # The member's dashboard (account) is made of these, one card each, served by
        # the app that owns the data; account shows nothing for one no app serves yet.
        # `limit`: how many of the newest to list. The viewer is the member.
        # Recent orders with status; "pay now" for a pending one, cancel where allowed.
        FragmentType("member-orders", "cart", "member", frozenset({"limit"})),
        # Tickets for coming events (code, event, date).
        FragmentType("member-tickets", "events", "member", frozenset({"limit"})),
        # Free bookings (RSVPs) for coming events, with cancel.
        FragmentType("member-bookings", "events", "member", frozenset({"limit"})),
        # The stalls the member runs, with their products' count and a link to manage.
        FragmentType("member-stalls", "market", "member", frozenset({"limit"})),
        # The newest notifications from the social hub (follows, replies, mentions).
        FragmentType("member-notifications", "federation", "member", frozenset({"limit"})),
        # The next `limit` events, optionally of one container's calendars.
        FragmentType(
            "upcoming-events",
            "events",
            "nothing",
            frozenset({"limit", "container_type", "container_id"}),
        ),
        # A blog post's product card: one product's picture, price and stock, live.
        FragmentType("product-card", "market", "nothing", frozenset({"id"})),
        # A blog post's event card: one event's next date and place, live.
        FragmentType("event-card", "events", "nothing", frozenset({"id"})),
    )
}

# The member dashboard's cards, in the order the page shows them.
DASHBOARD_FRAGMENTS: tuple[str, ...] = (
    "member-orders",
    "member-tickets",
    "member-bookings",
    "member-stalls",
    "member-notifications",
)

# Every page's header: composed by every app.
SHELL_FRAGMENTS: tuple[str, ...] = ("nav", "user-menu", "mini-cart", "newsletter-signup")


@dataclass(frozen=True, slots=True)
class FragmentViewer:
    """Who a fragment is for, as the signed internal header carries it."""

    user_id: int | None = None
    anon_cart: str | None = None

    @property
    def is_anonymous(self) -> bool:
        return self.user_id is None


ANONYMOUS = FragmentViewer()


@dataclass(frozen=True, slots=True)
class FragmentRequest:
    """One fragment a page wants: a type and its params (strings, as in a query string).

    `name` tells two fragments of one type apart on a page; it is the type by default.
    """

    type: str
    params: tuple[tuple[str, str], ...] = ()
    name: str = field(default="")

    def __post_init__(self) -> None:
        spec = FRAGMENT_TYPES.get(self.type)
        if spec is None:
            raise ValueError(f"unknown fragment type {self.type!r}")
        unknown = {key for key, _ in self.params} - spec.params
        if unknown:
            raise ValueError(f"fragment {self.type!r} takes no param {', '.join(sorted(unknown))}")
        # Sorted, so that equal requests make equal cache keys.
        object.__setattr__(self, "params", tuple(sorted(self.params)))
        if not self.name:
            object.__setattr__(self, "name", self.type)

    @classmethod
    def of(cls, type_: str, *, name: str = "", **params: object) -> FragmentRequest:
        """`FragmentRequest.of("upcoming-events", limit=4)`; None-valued params are left out."""
        pairs = tuple((key, str(value)) for key, value in params.items() if value is not None)
        return cls(type_, pairs, name)

    @property
    def spec(self) -> FragmentType:
        return FRAGMENT_TYPES[self.type]

    @property
    def app(self) -> str:
        return self.spec.app

    @property
    def query(self) -> Mapping[str, str]:
        return dict(self.params)


@dataclass(frozen=True, slots=True)
class FragmentScope:
    """A fragment type for one viewer scope: the unit the cache invalidates.

    Every variant of the type (whatever its params) in that scope goes at once.
    """

    type: str
    scope: str

    @property
    def app(self) -> str:
        return FRAGMENT_TYPES[self.type].app


def viewer_scope(depends_on: Dependence, viewer: FragmentViewer) -> str:
    """The part of the cache key that stands for the viewer.

    The anonymous cart token is a bearer credential for that cart, so only a
    hash of it goes into Redis key names (which show up in monitoring).
    """
    if depends_on == "nothing":
        return "all"
    if viewer.user_id is not None:
        return f"u{viewer.user_id}"
    if depends_on == "cart" and viewer.anon_cart:
        return "c" + sha256(viewer.anon_cart.encode()).hexdigest()[:32]
    return "anon"


def scope_of(type_: str, viewer: FragmentViewer = ANONYMOUS) -> FragmentScope:
    """The scope whose fragments of `type_` change when this viewer's data changes."""
    return FragmentScope(type_, viewer_scope(FRAGMENT_TYPES[type_].depends_on, viewer))


def cart_changed(*, user_id: int | None, anon_token: str | None) -> FragmentScope:
    """What to drop when the cart of a member (or of an anonymous token) changes."""
    return scope_of("mini-cart", FragmentViewer(user_id=user_id, anon_cart=anon_token))
