"""The registry of job kinds, periodic schedules and worker loops, filled by each domain.

A domain registers its kinds in its own module, imported by the worker (see
`KIND_MODULES`, plus `JOBS_KIND_MODULES` for extra modules such as the tests'):

    @job_kind("blog.publish_scheduled", max_attempts=5, timeout=timedelta(seconds=30))
    async def publish_scheduled(ctx: JobContext, payload: dict[str, Any]) -> None: ...

    periodic("blog.publish_scheduled", every=timedelta(minutes=1))

A worker loop is a long-running consumer with its own claiming (ActivityPub
delivery, which batches thousands of rows of its own table), run by the same
worker process beside the job runner, with the same stop signal and wake-ups.
"""

from __future__ import annotations

import asyncio
import importlib
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Protocol

from shared.infrastructure.jobs.context import JobContext

Handler = Callable[[JobContext, dict[str, Any]], Awaitable[None]]

# The modules whose import registers the production kinds, schedules and loops.
KIND_MODULES = (
    "shared.infrastructure.jobs.builtin",
    "shared.infrastructure.activitypub.processor",
    "shared.infrastructure.activitypub.inbox",  # inbound activities, retried
    "shared.infrastructure.oidc.logout_jobs",
    "shared.services.blog.scheduling",
    "shared.services.blog.ghost_sync.jobs",
    "shared.services.cart.jobs",
    "shared.services.events.mail",
    "shared.services.identity.deletion",
    "shared.services.newsletters.delivery",
    "shared.services.newsletters.inbound",  # unsubscribe mails and bounces over LMTP
)


class UnknownJobKind(LookupError):
    """A job kind nobody registered (a typo, or its domain module was never imported)."""


@dataclass(frozen=True, slots=True)
class JobKind:
    name: str
    handler: Handler
    max_attempts: int = 5
    timeout: timedelta = timedelta(minutes=5)
    # The first retry waits about `backoff`, doubling per attempt up to `max_backoff`.
    backoff: timedelta = timedelta(seconds=10)
    max_backoff: timedelta = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class Schedule:
    """Enqueue `kind` once per tick: every `every` (aligned to the epoch), or at `minute`
    past every hour (or past `hour` every day), cron-like."""

    kind: str
    every: timedelta | None = None
    minute: int | None = None
    hour: int | None = None
    payload: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.kind


class WorkerLoop(Protocol):
    """A consumer the worker runs beside the job runner until `stopping` is set."""

    channels: tuple[str, ...]

    def notified(self, channel: str, payload: str) -> None: ...

    async def run(self) -> None: ...


LoopFactory = Callable[[JobContext, asyncio.Event], WorkerLoop]

_kinds: dict[str, JobKind] = {}
_schedules: dict[str, Schedule] = {}
_loops: dict[str, LoopFactory] = {}


def job_kind(
    name: str,
    *,
    max_attempts: int = 5,
    timeout: timedelta = timedelta(minutes=5),
    backoff: timedelta = timedelta(seconds=10),
    max_backoff: timedelta = timedelta(hours=1),
) -> Callable[[Handler], Handler]:
    """Register an async handler `(ctx, payload)` for jobs of kind `name`."""
    if max_attempts < 1:
        raise ValueError(f"job kind {name}: max_attempts must be at least 1")

    def register(handler: Handler) -> Handler:
        existing = _kinds.get(name)
        if existing is not None and existing.handler is not handler:
            raise ValueError(f"job kind {name} is registered twice")
        _kinds[name] = JobKind(name, handler, max_attempts, timeout, backoff, max_backoff)
        return handler

    return register


def periodic(
    kind: str,
    *,
    every: timedelta | None = None,
    minute: int | None = None,
    hour: int | None = None,
    payload: dict[str, Any] | None = None,
) -> Schedule:
    """Register a schedule that enqueues `kind` once per tick across all workers."""
    if (every is None) == (minute is None):
        raise ValueError(f"schedule {kind}: give either every= or minute= (and maybe hour=)")
    if every is not None and every < timedelta(seconds=1):
        raise ValueError(f"schedule {kind}: every= must be at least a second")
    if minute is not None and not 0 <= minute < 60:
        raise ValueError(f"schedule {kind}: minute must be 0-59")
    if hour is not None and (minute is None or not 0 <= hour < 24):
        raise ValueError(f"schedule {kind}: hour must be 0-23, with a minute")
    schedule = Schedule(kind, every, minute, hour, dict(payload or {}))
    _schedules[schedule.name] = schedule
    return schedule


def worker_loop(name: str) -> Callable[[LoopFactory], LoopFactory]:
    def register(factory: LoopFactory) -> LoopFactory:
        _loops[name] = factory
        return factory

    return register


def kind(name: str) -> JobKind:
    try:
        return _kinds[name]
    except KeyError:
        raise UnknownJobKind(f"no job kind {name!r} is registered") from None


def kinds() -> dict[str, JobKind]:
    return dict(_kinds)


def schedules() -> list[Schedule]:
    return [s for s in _schedules.values() if s.kind in _kinds]


def loops() -> dict[str, LoopFactory]:
    return dict(_loops)


def load(extra: Iterable[str] = ()) -> None:
    """Import the modules that register kinds: the production ones, then `extra`."""
    for module in (*KIND_MODULES, *extra):
        importlib.import_module(module)
