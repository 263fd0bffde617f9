"""Domain events: what happened, as frozen values, and the table of who reacts to them.

A service records an event beside its write (`record(session, CartChanged(...))`);
the unit of work (`shared.infrastructure.uow`) runs each event's *inside*
handlers before it commits, in the same transaction (outbox rows, jobs,
adopting a cart), and its *after-commit* handlers once the commit has
succeeded (dropping cached fragments, waking a worker). A unit that rolls
back runs no after-commit handler at all.

Events are recorded on the SQLAlchemy session (its `info` dict) rather than on
a unit-of-work object handed to every service: the service contracts already
take the caller's `AsyncSession` as "the transaction I write in", and an event
belongs to exactly that transaction. Keeping the one parameter means no
Protocol changes shape, a service stays callable from a test with a plain
session, and what a service records can never leak into another transaction
(a second session has its own `info`). The unit of work collects what was
recorded on its session when it commits, as cosmicpython's UoW collects the
events of the aggregates it has seen.

Nothing here imports the infrastructure: services and their handlers depend
on this module and on `EventContext`, never on Redis or Quart.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts.widgets import FragmentScope

_PENDING = "rose_ash.domain_events"


@dataclass(frozen=True, slots=True)
class DomainEvent:
    """Base of every domain event: a fact, named in the past tense, compared by value."""


@dataclass(frozen=True, slots=True)
class CartChanged(DomainEvent):
    """The lines of a member's cart (or of an anonymous cart token) changed."""

    user_id: int | None
    anon_token: str | None


@dataclass(frozen=True, slots=True)
class MemberSignedIn(DomainEvent):
    """A member signed in on an app; `anon_cart_token` is the visitor's cart before that."""

    user_id: int
    anon_cart_token: str | None = None


@dataclass(frozen=True, slots=True)
class MemberCreated(DomainEvent):
    """A member account was made (sign-up or seed): the social domain makes its actor."""

    user_id: int


@dataclass(frozen=True, slots=True)
class MemberDeleted(DomainEvent):
    """A member deleted their account (the row stays, tombstoned): the social domain
    deletes their actor on the fediverse, and the old address gets a confirmation. The
    username and old address travel here because the row no longer holds the address."""

    user_id: int
    username: str
    email: str


@dataclass(frozen=True, slots=True)
class MemberEmailChanged(DomainEvent):
    """A member confirmed a new address at it: their newsletter subscriptions follow."""

    user_id: int
    old_email: str
    new_email: str


@dataclass(frozen=True, slots=True)
class NewsletterChanged(DomainEvent):
    """A newsletter was created or edited (the footer's signup form lists them)."""

    newsletter_id: int


@dataclass(frozen=True, slots=True)
class MemberProfileChanged(DomainEvent):
    """A member's public profile (name, bio, avatar, follow approval) changed: the social
    domain sends their actor's Update to their followers' servers."""

    user_id: int


@dataclass(frozen=True, slots=True)
class NotificationsChanged(DomainEvent):
    """A member got a notification, or read theirs: their unread count changed."""

    user_id: int


@dataclass(frozen=True, slots=True)
class NavigationChanged(DomainEvent):
    """A link of a blog menu was added, edited, moved or removed."""

    menu: str


@dataclass(frozen=True, slots=True)
class PostPublished(DomainEvent):
    """A post or page was published (or published again)."""

    post_id: int


@dataclass(frozen=True, slots=True)
class PostUpdated(DomainEvent):
    """The title, text or excerpt of a post changed."""

    post_id: int


@dataclass(frozen=True, slots=True)
class PostDeleted(DomainEvent):
    """A post was deleted; it carries what handlers need, since the row is gone."""

    post_id: int
    uuid: str
    type: str
    slug: str
    title: str
    published_at: datetime | None


@dataclass(frozen=True, slots=True)
class PostUnpublished(DomainEvent):
    """A published post went back to draft; like PostDeleted it carries what federation
    needs to withdraw it."""

    post_id: int
    uuid: str
    type: str
    slug: str
    title: str
    published_at: datetime | None


@dataclass(frozen=True, slots=True)
class ProductListed(DomainEvent):
    """A product was put on sale."""

    product_id: int


@dataclass(frozen=True, slots=True)
class ProductUpdated(DomainEvent):
    """A product's title, description, variants or images changed."""

    product_id: int


@dataclass(frozen=True, slots=True)
class ProductArchived(DomainEvent):
    """A product was withdrawn from sale (archived); its row stays."""

    product_id: int


@dataclass(frozen=True, slots=True)
class StallApproved(DomainEvent):
    """An admin approved a member's stall application: the stall is public."""

    stall_id: int


@dataclass(frozen=True, slots=True)
class StallChanged(DomainEvent):
    """A stall's application, details, review or helpers changed: what its managers' cards
    show. `also` names members who stopped managing it (a removed helper)."""

    stall_id: int
    also: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class EventPublished(DomainEvent):
    """A calendar event was published (or announced again after a change)."""

    event_id: int


@dataclass(frozen=True, slots=True)
class EventChanged(DomainEvent):
    """A published calendar event was edited (times, rule, an occurrence moved or cancelled)."""

    event_id: int


@dataclass(frozen=True, slots=True)
class EventCancelled(DomainEvent):
    """A published calendar event (a whole series) was cancelled."""

    event_id: int


@dataclass(frozen=True, slots=True)
class OrderPaid(DomainEvent):
    """An order's payment succeeded (the events domain issues its tickets)."""

    order_id: int


@dataclass(frozen=True, slots=True)
class MemberOrdersChanged(DomainEvent):
    """A member's orders changed: one placed, paid, cancelled or refunded, or a ticket of
    theirs issued or checked in (the tickets card goes with the orders card)."""

    user_id: int


@dataclass(frozen=True, slots=True)
class MemberBookingsChanged(DomainEvent):
    """A member's free bookings changed: one made, cancelled, or moved off the waiting list."""

    user_id: int


def record(session: AsyncSession, *events: DomainEvent) -> None:
    """Record events of the transaction `session` is in, for its unit of work to handle."""
    session.info.setdefault(_PENDING, []).extend(events)


def recorded(session: AsyncSession) -> tuple[DomainEvent, ...]:
    """The events recorded on `session` and not yet handled (tests and the unit of work)."""
    return tuple(session.info.get(_PENDING, ()))


def take_recorded(session: AsyncSession) -> list[DomainEvent]:
    """Remove and return the events recorded on `session`, oldest first."""
    events: list[DomainEvent] = session.info.pop(_PENDING, [])
    return events


def forget_recorded(session: AsyncSession) -> None:
    """Drop what was recorded: the transaction that would have carried it rolled back."""
    session.info.pop(_PENDING, None)


class FragmentInvalidator(Protocol):
    async def invalidate(self, scopes: Iterable[FragmentScope]) -> None:
        """Make every cached fragment in these scopes stale; never raises."""

    async def invalidate_pages(self) -> None:
        """Make every cached whole page stale (the unit of work, after its handlers); never
        raises."""


class EventContext(Protocol):
    """What a handler gets beside the event: the unit's session and the process's parts."""

    @property
    def session(self) -> AsyncSession:
        """The transaction of the unit of work (after commit: committed, still open)."""

    @property
    def fragments(self) -> FragmentInvalidator:
        """The fragment cache, for after-commit invalidation."""


E = TypeVar("E", bound=DomainEvent)
Handler = Callable[[E, EventContext], Awaitable[None]]


class EventHandlers:
    """Who reacts to which event type, inside the transaction or after its commit.

    Dispatch is by the event's exact type; handlers of one type run in the
    order they were added. `shared.services.handlers.event_handlers()` is the
    one list that fills the table for a process.
    """

    def __init__(self) -> None:
        self._inside: dict[type[DomainEvent], list[Handler[Any]]] = {}
        self._after: dict[type[DomainEvent], list[Handler[Any]]] = {}

    def inside(self, event_type: type[E], handler: Handler[E]) -> None:
        """Run `handler` in the unit's transaction, before it commits; raising rolls it back."""
        self._inside.setdefault(event_type, []).append(handler)

    def after_commit(self, event_type: type[E], handler: Handler[E]) -> None:
        """Run `handler` once the unit has committed; a failure is logged, never raised."""
        self._after.setdefault(event_type, []).append(handler)

    def inside_handlers(self, event: DomainEvent) -> tuple[Handler[Any], ...]:
        return tuple(self._inside.get(type(event), ()))

    def after_commit_handlers(self, event: DomainEvent) -> tuple[Handler[Any], ...]:
        return tuple(self._after.get(type(event), ()))
