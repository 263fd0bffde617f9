"""How a Quart app reaches its process's `Platform`, and the request's one session.

The platform (shared/infrastructure/bootstrap.py) is the one thing an app
keeps in `app.extensions`; `runtime(app)` is the way to it.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from quart import Quart, g
from sqlalchemy.ext.asyncio import AsyncSession

from shared.infrastructure.unavailable import unavailable_service

if TYPE_CHECKING:  # bootstrap imports the blueprints' modules, which import this one
    from shared.infrastructure.bootstrap import Platform
    from shared.infrastructure.uow import UnitOfWork

EXTENSION_KEY = "rose_ash"

log = logging.getLogger(__name__)


def runtime(app: Quart) -> Platform:
    platform: Platform = app.extensions[EXTENSION_KEY]
    return platform


def request_session(app: Quart) -> AsyncSession:
    """The request's one AsyncSession, opened on first use, closed at teardown."""
    if "db_session" not in g:
        g.db_session = runtime(app).db.session()
    return g.db_session


def unit_of_work(app: Quart) -> UnitOfWork:
    """A unit of work on the request's session: what a route writes in.

    The session stays the request's (reads before and after share it); the
    teardown closes it.
    """
    return runtime(app).unit_of_work(request_session(app))


async def end_request_reads(app: Quart) -> None:
    """End the request session's read-only transaction before work that runs in units of
    work of its own and waits on the network between them (paying: SumUp is called between
    two units), so no connection sits idle in a transaction meanwhile. Only reads may come
    before it: it commits, and a write belongs in a unit of work."""
    if "db_session" in g:
        await g.db_session.commit()


async def close_request_session(_exc: BaseException | None) -> None:
    session = g.pop("db_session", None)
    if session is None:
        return
    try:
        await session.close()
    except Exception as exc:
        # PostgreSQL closed the connection under us (a restart) after the page was made:
        # there is nothing left to roll back, and the answer must still reach the member
        # (raised here, it would become a bare 500 from Hypercorn).
        if unavailable_service(exc) is None:
            raise
        log.warning("request session: the database closed the connection (%s)", exc)
