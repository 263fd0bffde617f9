"""Inboxes: store what arrived (once per activity id and recipient), process it later.

The route verifies and stores synchronously, answers 202, then processes in
a background task of the app; the EventProcessor picks up whatever an app
did not get to (it crashed, or `inbox_background` is off). Claiming is an
atomic status change, so a row is processed by one of them only.

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
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import func, or_, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.infrastructure.activitypub.handlers import HANDLERS, Context
from shared.infrastructure.activitypub.http import FederationClient
from shared.infrastructure.activitypub.outbox import notify
from shared.infrastructure.activitypub.prefetch import PREFETCHERS, Prefetch
from shared.infrastructure.activitypub.remote import RemoteActors, first_id
from shared.infrastructure.config import Settings
from shared.models.activitypub import Activity, Actor

log = logging.getLogger(__name__)
STALE_CLAIM = "5 minutes"


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
    session: AsyncSession, signer: Actor, recipient: Actor | None, activity: dict[str, Any]
) -> int | None:
    """Record the activity for `recipient` (None: the shared inbox); its row id, or None
    when this copy was stored before (a redelivery)."""
    target = activity.get("object")
    statement = (
        insert(Activity)
        .values(
            ap_id=activity["id"][:2048],
            direction="inbound",
            type=activity["type"][:30],
            actor_id=signer.id,
            recipient_id=recipient.id if recipient else None,
            object_ap_id=(first_id(target) or "")[:2048] or None,
            payload=activity,
            status="pending",
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
        await notify(session, "inbound")
    return stored


async def claim_inbound(session: AsyncSession, activity_id: int) -> Activity | None:
    row = await session.scalar(
        update(Activity)
        .where(
            Activity.id == activity_id,
            Activity.direction == "inbound",
            or_(
                Activity.status == "pending",
                (Activity.status == "processing")
                & (Activity.claimed_at < func.now() - text(f"interval '{STALE_CLAIM}'")),
            ),
        )
        .values(status="processing", claimed_at=func.now(), attempts=Activity.attempts + 1)
        .returning(Activity)
    )
    return row


async def process_inbound(
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    client: FederationClient | None,
    activity_id: int,
) -> str:
    """Claim and handle one stored activity; its final status ("done", "failed") or
    "skipped" when someone else has it.

    Three steps, none holding a transaction across network I/O: claim, fetch what
    the activity needs from other servers (its prefetcher, when there is a client),
    then apply it in one transaction that touches only the database."""
    async with sessions() as session, session.begin():
        row = await claim_inbound(session, activity_id)
        sender = await session.get(Actor, row.actor_id) if row is not None else None
    if row is None:
        return "skipped"
    assert sender is not None
    payload = dict(row.payload)
    try:
        prefetch = PREFETCHERS.get(row.type)
        if prefetch is not None and client is not None:
            remote = RemoteActors(sessions, settings, client)
            await prefetch(Prefetch(sessions, settings, remote, sender, payload))
        async with sessions() as session, session.begin():
            handler = HANDLERS.get(row.type)
            if handler is not None:
                fresh = await session.get(Actor, row.actor_id, populate_existing=True)
                assert fresh is not None
                await handler(Context(session, settings, fresh, payload))
            await _finish(session, row.id, "done", None)
        return "done"
    except Exception as exc:
        log.exception("processing inbound activity %s (%s) failed", row.ap_id, row.type)
        async with sessions() as session, session.begin():
            await _finish(session, row.id, "failed", f"{type(exc).__name__}: {exc}"[:2000])
        return "failed"


async def _finish(session: AsyncSession, activity_id: int, status: str, error: str | None) -> None:
    await session.execute(
        update(Activity)
        .where(Activity.id == activity_id)
        .values(status=status, last_error=error, processed_at=datetime.now(UTC))
    )


async def pending_inbound(
    session: AsyncSession, *, older_than_seconds: float, limit: int
) -> list[int]:
    """Inbound rows nobody is processing (or whose processor died), oldest first."""
    rows = await session.scalars(
        select(Activity.id)
        .where(
            Activity.direction == "inbound",
            or_(
                (Activity.status == "pending")
                & (
                    Activity.created_at <= datetime.now(UTC) - timedelta(seconds=older_than_seconds)
                ),
                (Activity.status == "processing")
                & (Activity.claimed_at < func.now() - text(f"interval '{STALE_CLAIM}'")),
            ),
        )
        .order_by(Activity.id)
        .limit(limit)
    )
    return list(rows)
