"""The unit of work: one transaction, the domain events it recorded, and their handlers.

    async with unit_of_work(current_app) as uow:          # a route (runtime.py)
        await services.cart.add_to_cart(uow.session, ...)

    async with platform.unit_of_work() as uow:            # a worker or a command
        ...

Leaving the block normally commits; leaving it with an exception rolls back
and re-raises. Commit runs in this order:

1. every *inside* handler of every recorded event, in the same transaction;
   what a handler records in turn is handled too (a signed-in member's cart
   adoption records `CartChanged`). A handler that raises rolls the whole
   unit back, so an outbox row or a job never outlives the change it is for.
2. the commit.
3. every *after-commit* handler, once per event. The commit has happened, so
   a failing handler is logged and the others still run: the caller's work
   is done and must not turn into an error page.
4. when any event was recorded, the whole-page cache's invalidation
   (shared/infrastructure/page_cache.py): any change may show on any page.

Equal events recorded twice in one unit are one fact and are handled once
(events are frozen values). Events are recorded on the session's `info`;
`shared/contracts/events.py` says why that rather than on the unit itself.
A job queue enqueues through an inside handler or directly on `uow.session`:
either way the row commits or rolls back with the change.
"""

from __future__ import annotations

import logging
from types import TracebackType
from typing import Self

from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts.events import (
    DomainEvent,
    EventHandlers,
    FragmentInvalidator,
    forget_recorded,
    record,
    take_recorded,
)

log = logging.getLogger(__name__)

# A handler that keeps recording events for its own events would loop forever.
MAX_ROUNDS = 20


class UnitOfWork:
    """One transaction on `session` and the handling of the events recorded on it."""

    def __init__(
        self,
        session: AsyncSession,
        *,
        handlers: EventHandlers,
        fragments: FragmentInvalidator,
        owns_session: bool = False,
    ) -> None:
        self._session = session
        self._handlers = handlers
        self._fragments = fragments
        self._owns_session = owns_session
        self.committed: tuple[DomainEvent, ...] = ()

    @property
    def session(self) -> AsyncSession:
        return self._session

    @property
    def fragments(self) -> FragmentInvalidator:
        return self._fragments

    def record(self, *events: DomainEvent) -> None:
        """Record events of this unit (what a service does with `record(session, ...)`)."""
        record(self._session, *events)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if exc is None:
                await self.commit()
            else:
                await self.rollback()
        finally:
            if self._owns_session:
                await self._session.close()

    async def commit(self) -> None:
        """Run the inside handlers, commit, then run the after-commit handlers."""
        try:
            events = await self._handle_inside()
            await self._session.commit()
        except BaseException:
            await self.rollback()
            raise
        self.committed = tuple(events)
        for event in events:
            for handler in self._handlers.after_commit_handlers(event):
                try:
                    await handler(event, self)
                except Exception:
                    log.exception("after-commit handler %s failed for %r", handler, event)
        if events:
            # Last, once the handlers have dropped their fragments: a page rendered on the
            # new generation must not compose a fragment that is still the old one.
            await self._fragments.invalidate_pages()

    async def rollback(self) -> None:
        forget_recorded(self._session)
        await self._session.rollback()

    async def _handle_inside(self) -> list[DomainEvent]:
        handled: dict[DomainEvent, None] = {}  # insertion-ordered set
        for _ in range(MAX_ROUNDS):
            fresh = [e for e in dict.fromkeys(take_recorded(self._session)) if e not in handled]
            if not fresh:
                return list(handled)
            for event in fresh:
                handled[event] = None
                for handler in self._handlers.inside_handlers(event):
                    await handler(event, self)
        raise RuntimeError(f"events still being recorded after {MAX_ROUNDS} rounds of handlers")
