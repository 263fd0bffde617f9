"""Inboxes: store what arrived (once per activity id and recipient), process it later.

The route verifies and stores synchronously, answers 202, then processes in
a background task of the app. Storing also enqueues a durable job
(`activitypub.inbound`) in the same transaction: the worker runs it after a
head start, processing whatever the app did not get to (it crashed, or
`inbox_background` is off), and retrying a failed activity with backoff
until it is dead, visible and retryable with `python -m
shared.infrastructure.jobs list|retry`. Claiming is an atomic status
change, so a row is processed by one of them only.

What an activity means (follows, posts, likes) is the social domain's:
processing asks `services.social` to prefetch and then apply it.

A row is unique per (activity id, direction, recipient, actor), and an
activity's id must be on its actor's host: nobody can pre-empt another
server's ids. Processing never holds a transaction while another server is
asked (`prefetch.py` does the asking first).
"""

from __future__ import annotations

import json
import logging
import math
import re
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import func, or_, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.infrastructure.activitypub.http import FederationClient
from shared.infrastructure.activitypub.remote import first_id
from shared.infrastructure.jobs import enqueue, job_kind
from shared.infrastructure.jobs.context import JobContext
from shared.models.activitypub import Activity, ActivityState, Actor, Direction
from shared.services.registry import services

log = logging.getLogger(__name__)
STALE_CLAIM = "5 minutes"
INBOUND_JOB = "activitypub.inbound"
# The app's background task goes first; the job is the durable fallback and the retry.
INBOUND_HEAD_START = timedelta(seconds=10)


class Processed(StrEnum):
    DONE = "done"
    FAILED = "failed"
    SKIPPED = "skipped"  # someone else holds it, or it is done already


class InboxError(Exception):
    """The activity is unusable (400) or not the signer's own (401); `status` says which."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
MAX_DEPTH = 64


def parse_activity(body: bytes) -> Any:
    """The JSON of an inbox body, if PostgreSQL can store it; InboxError (400) otherwise.

    jsonb refuses NUL characters and lone surrogates, and Python's json would hand
    it Infinity and NaN: each would otherwise surface as a 500 when stored."""
    try:
        document = json.loads(
            body.decode("utf-8"), parse_constant=_refuse_constant, parse_float=_finite_float
        )
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise InboxError("the body is not JSON") from None
    stack: list[tuple[Any, int]] = [(document, 0)]
    while stack:  # iterative: a deep document must not exhaust our own stack either
        value, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise InboxError("the activity is nested too deeply")
        if isinstance(value, str) and _UNSTORABLE.search(value):
            raise InboxError("the activity contains NUL or unpaired surrogate characters")
        if isinstance(value, dict):
            stack.extend((key, depth + 1) for key in value)
            stack.extend((item, depth + 1) for item in value.values())
        elif isinstance(value, list):
            stack.extend((item, depth + 1) for item in value)
    return document


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _finite_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise ValueError("the number is out of range")
    return number


def _host(url: str) -> str:
    return (urlsplit(url).netloc or "").lower()


def check_activity(activity: Any, signer: Actor) -> dict[str, Any]:
    """The activity if it is well formed, its actor is the signer and its id is on the
    actor's host; InboxError otherwise."""
    if not isinstance(activity, dict) or not isinstance(activity.get("type"), str):
        raise InboxError("the body is not an activity")
    if not isinstance(activity.get("id"), str) or not activity["id"].startswith("http"):
        raise InboxError("the activity has no id")
    actor = first_id(activity.get("actor"))
    if actor != signer.ap_id:
        raise InboxError(f"signed by {signer.ap_id} but the actor is {actor}", status=401)
    # Otherwise anyone could claim another server's ids (say its next `#delete`) and have
    # the real activity dropped as a redelivery.
    if _host(activity["id"]) != _host(signer.ap_id):
        raise InboxError(f"the activity id {activity['id']} is not on its actor's host")
    return activity


async def store_inbound(
    session: AsyncSession,
    signer: Actor,
    recipient: str | None,
    activity: dict[str, Any],
    *,
    head_start: timedelta = INBOUND_HEAD_START,
) -> int | None:
    """Record the activity for our actor `recipient` (its id; None: the shared inbox) and
    enqueue its processing job, due after `head_start`; the row id, or None when this
    copy was stored before (a redelivery)."""
    target = activity.get("object")
    recipient_id = (
        select(Actor.id).where(Actor.ap_id == recipient).scalar_subquery() if recipient else None
    )
    statement = (
        insert(Activity)
        .values(
            ap_id=activity["id"][:2048],
            direction=Direction.INBOUND,
            type=activity["type"][:30],
            actor_id=signer.id,
            recipient_id=recipient_id,
            object_ap_id=(first_id(target) or "")[:2048] or None,
            payload=activity,
            status=ActivityState.PENDING,
        )
        .on_conflict_do_nothing(
            index_elements=[
                Activity.ap_id,
                Activity.direction,
                # The unique index's expression, literally: a bound 0 would not match it.
                text("coalesce(recipient_id, 0)"),
                Activity.actor_id,
            ]
        )
        .returning(Activity.id)
    )
    stored = (await session.execute(statement)).scalar_one_or_none()
    if stored is not None:
        run_at = datetime.now(UTC) + head_start
        job = {"activity_id": stored}
        await enqueue(session, INBOUND_JOB, job, run_at=run_at, key=f"ap-inbound:{stored}")
    return stored


async def claim_inbound(
    session: AsyncSession, activity_id: int, *, retry: bool = False
) -> Activity | None:
    """The row, now `processing`, when it is pending (or failed, with `retry`) or its
    claim went stale; None when someone else holds it or it is done."""
    claimable = [ActivityState.PENDING, *([ActivityState.FAILED] if retry else [])]
    row = await session.scalar(
        update(Activity)
        .where(
            Activity.id == activity_id,
            Activity.direction == Direction.INBOUND,
            or_(
                Activity.status.in_(claimable),
                (Activity.status == ActivityState.PROCESSING)
                & (Activity.claimed_at < func.now() - text(f"interval '{STALE_CLAIM}'")),
            ),
        )
        .values(
            status=ActivityState.PROCESSING,
            claimed_at=func.now(),
            attempts=Activity.attempts + 1,
        )
        .returning(Activity)
    )
    return row


async def process_inbound(
    sessions: async_sessionmaker[AsyncSession],
    client: FederationClient | None,
    activity_id: int,
    *,
    retry: bool = False,
) -> Processed:
    """Claim and handle one stored activity (a failed one again with `retry`).

    Three steps, none holding a transaction across network I/O: claim, let the social
    domain fetch what the activity needs from other servers (when there is a client),
    then apply it in one transaction that touches only the database."""
    async with sessions() as session, session.begin():
        row = await claim_inbound(session, activity_id, retry=retry)
        sender = await session.get(Actor, row.actor_id) if row is not None else None
    if row is None:
        return Processed.SKIPPED
    assert sender is not None
    payload = dict(row.payload)
    social = services.social
    try:
        if client is not None:
            await social.prefetch_inbound(sessions, client, sender.ap_id, payload)
        async with sessions() as session, session.begin():
            await social.apply_inbound(session, sender.ap_id, payload)
            await _finish(session, row.id, ActivityState.DONE, None)
        return Processed.DONE
    except Exception as exc:
        log.exception("processing inbound activity %s (%s) failed", row.ap_id, row.type)
        async with sessions() as session, session.begin():
            error = f"{type(exc).__name__}: {exc}"[:2000]
            await _finish(session, row.id, ActivityState.FAILED, error)
        return Processed.FAILED


async def _finish(
    session: AsyncSession, activity_id: int, status: ActivityState, error: str | None
) -> None:
    await session.execute(
        update(Activity)
        .where(Activity.id == activity_id)
        .values(status=status, last_error=error, processed_at=datetime.now(UTC))
    )


class InboundNotProcessed(RuntimeError):
    """The activity failed, or another process still holds it: the job runs again later."""


@job_kind(INBOUND_JOB, max_attempts=8, timeout=timedelta(minutes=2), backoff=timedelta(seconds=30))
async def process_inbound_job(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Process a stored inbound activity the app did not get to, or retry a failed one."""
    activity_id = int(payload["activity_id"])
    outcome = await process_inbound(ctx.sessions, ctx.federation, activity_id, retry=True)
    if outcome == Processed.FAILED:
        raise InboundNotProcessed(f"inbound activity {activity_id} failed (see its last_error)")
    if outcome == Processed.SKIPPED:
        async with ctx.sessions() as session:
            status = await session.scalar(select(Activity.status).where(Activity.id == activity_id))
        if status == ActivityState.PROCESSING:
            raise InboundNotProcessed(f"inbound activity {activity_id} is still being processed")
