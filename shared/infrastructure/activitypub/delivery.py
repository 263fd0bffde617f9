"""Delivery: fan an outbound activity out to inboxes, claim due deliveries, record attempts.

* Fan-out: followers collapse to one delivery per shared inbox (else personal
  inbox); directly addressed actors get their own inbox. Our own actors are
  reached without HTTP: the copy is stored as an inbound activity.
* Claiming: `FOR UPDATE SKIP LOCKED` over due rows, which become `delivering`
  with a lease (their `next_attempt_at` moves a few minutes ahead): a worker
  that dies mid-delivery loses nothing, its rows come due again when the
  lease runs out. Any number of workers share the table without overlap.
* Outcomes: 2xx delivered; a 4xx other than 401/408/429 (and 501) is final,
  the delivery is dead at once; anything else retries on Mastodon's curve
  (count⁴ + 15 s + jitter, 16 retries, about 2-3 days), then dead. Dead rows
  stay, with their last status and error.
* Inbox health: after N consecutive failures an inbox is paused (60 s,
  doubling per further failure, at most a day); one success clears it.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import Select, case, delete, func, literal, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from shared.infrastructure.activitypub.actors import PUBLIC
from shared.infrastructure.activitypub.inbox import store_inbound
from shared.infrastructure.activitypub.outbox import notify
from shared.infrastructure.activitypub.remote import RemoteActorError, RemoteActors
from shared.infrastructure.config import ActivityPubSettings
from shared.models.activitypub import (
    Activity,
    ActivityState,
    Actor,
    ActorKind,
    Delivery,
    DeliveryState,
    Direction,
    Follow,
    FollowState,
    InboxState,
    UnavailableHost,
)

LEASE = timedelta(minutes=5)
MAX_PAUSE = timedelta(days=1)
# Mastodon's rule: a host whose deliveries failed for a week is unavailable (no more
# deliveries, queued ones wait) until we hear from it again.
UNAVAILABLE_AFTER = timedelta(days=7)
_PUBLIC_ALIASES = {PUBLIC, "as:Public", "Public"}
RETRYABLE = (DeliveryState.PENDING, DeliveryState.FAILED, DeliveryState.DELIVERING)


def retry_delay(attempts_made: int, scale: float = 1.0, rng: random.Random | None = None) -> float:
    """Seconds to wait after the `attempts_made`-th failed attempt (Sidekiq/Mastodon curve)."""
    uniform = rng.uniform if rng is not None else random.uniform
    count = max(0, attempts_made - 1)
    delay = count**4 + 15 + uniform(0, 0.5 * count**4) + uniform(0, 10) * (count + 1)
    return delay * scale


def is_final_failure(status: int | None) -> bool:
    """A response that will not get better by retrying (Mastodon's `unsalvageable`)."""
    return status is not None and (
        (400 <= status < 500 and status not in (401, 408, 429)) or status == 501
    )


# -- Fan-out -------------------------------------------------------------------------------


def _addresses(payload: dict[str, Any]) -> list[str]:
    found: list[str] = []
    for field in ("to", "cc", "bto", "bcc", "audience"):
        value = payload.get(field) or []
        for item in value if isinstance(value, list) else [value]:
            address = item.get("id") if isinstance(item, dict) else item
            if isinstance(address, str) and address not in found:
                found.append(address)
    return found


async def fan_out(session: AsyncSession, activity: Activity, remote: RemoteActors | None) -> int:
    """Create the deliveries of one outbound activity; how many inboxes it goes to."""
    actor = await session.get(Actor, activity.actor_id)
    assert actor is not None
    inboxes: list[str] = []
    reaches_us = False
    for address in _addresses(activity.payload):
        if address in _PUBLIC_ALIASES:
            continue
        if address == actor.followers_url:
            # Server-side: one row per distinct preferred inbox, however many followers.
            await session.execute(_followers_fan_out(activity.id, actor.id))
            has_local = await session.scalar(
                _accepted_followers(actor.id).where(Actor.kind != ActorKind.REMOTE).limit(1)
            )
            reaches_us = reaches_us or bool(has_local)
            continue
        target = await session.scalar(select(Actor).where(Actor.ap_id == address))
        if target is None and remote is not None:
            try:
                target = await remote.actor(address)
            except RemoteActorError:
                target = None
        if target is None or target.deleted_at is not None:
            continue
        if target.kind == ActorKind.REMOTE:
            inboxes.append(target.inbox_url or "")
        else:
            reaches_us = True
    unique = list(dict.fromkeys(inbox for inbox in inboxes if inbox))
    if unique:
        gone = set(
            await session.scalars(
                select(UnavailableHost.host).where(
                    UnavailableHost.host.in_({urlsplit(u).netloc.lower() for u in unique})
                )
            )
        )
        unique = [u for u in unique if urlsplit(u).netloc.lower() not in gone]
    if unique:
        await session.execute(
            insert(Delivery)
            .values([{"activity_id": activity.id, "inbox_url": inbox} for inbox in unique])
            .on_conflict_do_nothing(index_elements=[Delivery.activity_id, Delivery.inbox_url])
        )
    if reaches_us:  # our own members and apps: one inbound copy for the shared inbox
        # No app's background task will pick this copy up: the job is due at once.
        payload = dict(activity.payload)
        await store_inbound(session, actor, None, payload, head_start=timedelta(0))
    count = await session.scalar(
        select(func.count(Delivery.id)).where(Delivery.activity_id == activity.id)
    )
    if count:
        await notify(session, "deliveries")
    return int(count or 0)


def _accepted_followers(actor_id: int) -> Select[Any]:
    return (
        select(Actor.id)
        .join(Follow, Follow.follower_id == Actor.id)
        .where(
            Follow.following_id == actor_id,
            Follow.status == FollowState.ACCEPTED,
            Actor.deleted_at.is_(None),
        )
    )


def host_of(url: Any) -> Any:
    """The host (with port) of a URL column, as UnavailableHost keeps it."""
    return func.lower(func.split_part(url, "/", 3))


def _available(url: Any) -> Any:
    return ~select(UnavailableHost.id).where(UnavailableHost.host == host_of(url)).exists()


def _followers_fan_out(activity_id: int, actor_id: int) -> Any:
    inbox = func.coalesce(Actor.shared_inbox_url, Actor.inbox_url)
    chosen = (
        select(literal(activity_id).label("activity_id"), inbox.label("inbox_url"))
        .join(Follow, Follow.follower_id == Actor.id)
        .where(
            Follow.following_id == actor_id,
            Follow.status == FollowState.ACCEPTED,
            Actor.kind == ActorKind.REMOTE,
            Actor.deleted_at.is_(None),
            inbox.is_not(None),
            _available(inbox),
        )
        .distinct()
    )
    return (
        insert(Delivery)
        .from_select(["activity_id", "inbox_url"], chosen)
        .on_conflict_do_nothing(index_elements=[Delivery.activity_id, Delivery.inbox_url])
    )


async def claim_activities_to_fan_out(session: AsyncSession, limit: int) -> list[Activity]:
    rows = await session.scalars(
        select(Activity)
        .where(Activity.direction == Direction.OUTBOUND, Activity.status == ActivityState.PENDING)
        .order_by(Activity.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list(rows)


async def mark_fanned_out(session: AsyncSession, activity: Activity) -> None:
    activity.status = ActivityState.DONE
    activity.processed_at = datetime.now(UTC)
    activity.attempts += 1


# -- Claiming and recording ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Claimed:
    id: int
    activity_id: int
    inbox_url: str
    attempts: int


@dataclass(frozen=True, slots=True)
class Outcome:
    delivery: Claimed
    status_code: int | None
    error: str | None
    duration_ms: int


async def claim_deliveries(session: AsyncSession, limit: int) -> list[Claimed]:
    """Due deliveries of unpaused inboxes, now `delivering` under a lease, oldest due first."""
    paused = (
        select(InboxState.id)
        .where(InboxState.inbox_url == Delivery.inbox_url, InboxState.paused_until > func.now())
        .exists()
    )
    due = (
        select(Delivery.id)
        .where(
            Delivery.status.in_(RETRYABLE),
            Delivery.next_attempt_at <= func.now(),
            ~paused,
            _available(Delivery.inbox_url),
        )
        .order_by(Delivery.next_attempt_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    rows = await session.execute(
        update(Delivery)
        .where(Delivery.id.in_(due))
        .values(status=DeliveryState.DELIVERING, next_attempt_at=func.now() + LEASE)
        .returning(Delivery.id, Delivery.activity_id, Delivery.inbox_url, Delivery.attempts)
    )
    return [Claimed(*row) for row in rows]


async def release(session: AsyncSession, claimed: Iterable[Claimed]) -> None:
    """Give claimed but unsent deliveries back, due now (a stopping worker's last act)."""
    ids = [item.id for item in claimed]
    if ids:
        await session.execute(
            update(Delivery)
            .where(Delivery.id.in_(ids), Delivery.status == DeliveryState.DELIVERING)
            .values(
                status=case(
                    (Delivery.attempts > 0, DeliveryState.FAILED.value),
                    else_=DeliveryState.PENDING.value,
                ),
                next_attempt_at=func.now(),
            )
        )


_UPDATE_STATES = text(
    """
    UPDATE ap_deliveries AS d
    SET status = v.status, attempts = v.attempts, last_status_code = v.last_status_code,
        last_error = v.last_error, delivered_at = v.delivered_at,
        next_attempt_at = v.next_attempt_at
    FROM unnest(CAST(:id AS integer[]), CAST(:status AS varchar[]), CAST(:attempts AS integer[]),
                CAST(:last_status_code AS integer[]), CAST(:last_error AS text[]),
                CAST(:delivered_at AS timestamptz[]), CAST(:next_attempt_at AS timestamptz[]))
        AS v(id, status, attempts, last_status_code, last_error, delivered_at, next_attempt_at)
    WHERE d.id = v.id
    """
)
_INSERT_ATTEMPTS = text(
    """
    INSERT INTO ap_delivery_attempts (delivery_id, attempt, status_code, error, duration_ms)
    SELECT * FROM unnest(CAST(:ids AS integer[]), CAST(:attempts AS integer[]),
                         CAST(:codes AS integer[]), CAST(:errors AS text[]),
                         CAST(:durations AS integer[]))
    """
)
_STATE_COLUMNS = (
    "status", "attempts", "last_status_code", "last_error", "delivered_at", "next_attempt_at",
)  # fmt: skip


def _state_of(outcome: Outcome, settings: ActivityPubSettings, now: datetime) -> dict[str, Any]:
    attempt = outcome.delivery.attempts + 1
    code = outcome.status_code
    row: dict[str, Any] = {
        "id": outcome.delivery.id,
        "attempts": attempt,
        "last_status_code": code,
        "last_error": outcome.error,
    }
    if outcome.error is None and code is not None and 200 <= code < 300:
        delivered = DeliveryState.DELIVERED.value
        return {**row, "status": delivered, "delivered_at": now, "next_attempt_at": now}
    if is_final_failure(code) or attempt >= settings.delivery_max_attempts:
        dead = DeliveryState.DEAD.value
        return {**row, "status": dead, "delivered_at": None, "next_attempt_at": now}
    delay = retry_delay(attempt, settings.delivery_backoff_scale)
    return {
        **row,
        "status": DeliveryState.FAILED.value,
        "delivered_at": None,
        "next_attempt_at": now + timedelta(seconds=delay),
    }


async def record(
    session: AsyncSession, outcomes: Sequence[Outcome], settings: ActivityPubSettings
) -> None:
    """Write the attempts, the deliveries' new states and the inboxes' health, in bulk."""
    if not outcomes:
        return
    now = datetime.now(UTC)
    states = [_state_of(outcome, settings, now) for outcome in outcomes]
    # One statement per batch (arrays, unnested server-side), not one per row: the
    # worker's and PostgreSQL's cost per delivery stays small.
    await session.execute(
        _UPDATE_STATES, {n: [s[n] for s in states] for n in ("id", *_STATE_COLUMNS)}
    )
    await session.execute(
        _INSERT_ATTEMPTS,
        {
            "ids": [o.delivery.id for o in outcomes],
            "attempts": [o.delivery.attempts + 1 for o in outcomes],
            "codes": [o.status_code for o in outcomes],
            "errors": [o.error for o in outcomes],
            "durations": [o.duration_ms for o in outcomes],
        },
    )
    await _record_inbox_health(session, outcomes, settings)


async def _record_inbox_health(
    session: AsyncSession, outcomes: Sequence[Outcome], settings: ActivityPubSettings
) -> None:
    failures: dict[str, list[Outcome]] = defaultdict(list)
    succeeded: set[str] = set()
    for outcome in outcomes:
        code = outcome.status_code
        if outcome.error is None and code is not None and 200 <= code < 300:
            succeeded.add(outcome.delivery.inbox_url)
        else:
            failures[outcome.delivery.inbox_url].append(outcome)
    if succeeded:
        await session.execute(
            update(InboxState)
            .where(
                InboxState.inbox_url.in_(succeeded),
                (InboxState.consecutive_failures > 0) | InboxState.paused_until.is_not(None),
            )
            .values(consecutive_failures=0, paused_until=None, last_success_at=func.now())
        )
        await session.execute(
            update(InboxState)
            .where(InboxState.inbox_url.in_(succeeded), InboxState.failing_since.is_not(None))
            .values(failing_since=None)
        )
    rows = [
        {
            "inbox_url": inbox,
            "consecutive_failures": len(items),
            "last_status_code": items[-1].status_code,
            "last_error": items[-1].error,
            "failing_since": datetime.now(UTC),
        }
        for inbox, items in failures.items()
        if inbox not in succeeded
    ]
    if not rows:
        return
    statement = insert(InboxState).values(rows)
    count = InboxState.consecutive_failures + statement.excluded.consecutive_failures
    over = count - settings.inbox_pause_after_failures
    pause = func.least(
        literal(settings.inbox_pause_seconds)
        * func.power(2, func.least(func.greatest(over, 0), 20)),
        MAX_PAUSE.total_seconds(),
    )
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[InboxState.inbox_url],
            set_={
                "consecutive_failures": count,
                "last_status_code": statement.excluded.last_status_code,
                "last_error": statement.excluded.last_error,
                "updated_at": func.now(),
                "failing_since": func.coalesce(
                    InboxState.failing_since, statement.excluded.failing_since
                ),
                "paused_until": case(
                    (over >= 0, func.now() + pause * text("interval '1 second'")),
                    else_=InboxState.paused_until,
                ),
            },
        )
    )
    failing = [row["inbox_url"] for row in rows]
    await session.execute(
        insert(UnavailableHost)
        .from_select(
            ["host"],
            select(host_of(InboxState.inbox_url))
            .where(
                InboxState.inbox_url.in_(failing),
                InboxState.failing_since < func.now() - UNAVAILABLE_AFTER,
            )
            .distinct(),
        )
        .on_conflict_do_nothing(index_elements=[UnavailableHost.host])
    )


async def heard_from(session: AsyncSession, host: str) -> None:
    """A host that sent us something is available again (Mastodon's rule)."""
    await session.execute(delete(UnavailableHost).where(UnavailableHost.host == host.lower()))
