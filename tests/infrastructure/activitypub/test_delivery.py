"""Fan-out, claiming and recording deliveries, against the real database (no HTTP)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from shared.infrastructure.activitypub.actors import app_actor
from shared.infrastructure.activitypub.delivery import (
    Outcome,
    claim_deliveries,
    fan_out,
    heard_from,
    is_final_failure,
    record,
    release,
    retry_delay,
)
from shared.infrastructure.activitypub.outbox import enqueue_activity
from shared.infrastructure.config import Settings
from shared.models.activitypub import (
    Activity,
    Delivery,
    DeliveryAttempt,
    Follow,
    InboxState,
    UnavailableHost,
)
from tests.support.activitypub.fixtures import MakePeer

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
# Due by the database's clock: now() is the test transaction's start, which on a busy host
# can be seconds before the Python clock's now.
_DUE = func.now() - timedelta(seconds=1)


def test_the_retry_curve_is_mastodons_16_retries_over_two_to_three_days() -> None:
    low = sum(retry_delay(n, rng=_Fixed(0.0)) for n in range(1, 17))
    high = sum(retry_delay(n, rng=_Fixed(1.0)) for n in range(1, 17))
    assert 48 * 3600 < low < 51 * 3600
    assert 70 * 3600 < high < 80 * 3600
    assert retry_delay(1, rng=_Fixed(0.0)) == 15
    assert retry_delay(1, scale=0.01, rng=_Fixed(0.0)) == pytest.approx(0.15)


class _Fixed(random.Random):
    def __init__(self, fraction: float) -> None:
        super().__init__()
        self.fraction = fraction

    def uniform(self, a: float, b: float) -> float:
        return a + (b - a) * self.fraction


@pytest.mark.parametrize(
    ("status", "final"),
    [(400, True), (403, True), (404, True), (410, True), (422, True), (501, True),
     (401, False), (408, False), (429, False), (500, False), (502, False), (None, False)],
)  # fmt: skip
def test_which_failures_are_final(status: int | None, final: bool) -> None:
    assert is_final_failure(status) is final


async def _post_with_followers(
    db: AsyncSession, settings: Settings, make_peer: MakePeer
) -> Activity:
    blog = await app_actor(db, settings, "blog")
    peers = [
        await make_peer(domain="one.example"),
        await make_peer(domain="one.example"),  # same server: one shared inbox
        await make_peer(domain="two.example", shared_inbox=False),
        await make_peer(domain="three.example"),
    ]
    for index, peer in enumerate(peers):
        status = "pending" if index == 3 else "accepted"
        db.add(Follow(follower_id=peer.actor.id, following_id=blog.id, status=status))
    await db.flush()
    return await enqueue_activity(
        db,
        blog,
        {
            "type": "Create",
            "object": {"id": "x", "type": "Note"},
            "to": [PUBLIC],
            "cc": [blog.followers_url],
        },
    )


async def test_fan_out_goes_once_to_each_shared_inbox_and_skips_pending_followers(
    db: AsyncSession, ap_settings: Settings, make_peer: MakePeer
) -> None:
    activity = await _post_with_followers(db, ap_settings, make_peer)
    assert await fan_out(db, activity, None) == 2
    assert await fan_out(db, activity, None) == 2  # again: no duplicate rows
    inboxes = set(
        await db.scalars(select(Delivery.inbox_url).where(Delivery.activity_id == activity.id))
    )
    assert len(inboxes) == 2
    assert "https://one.example/inbox" in inboxes
    assert any(url.startswith("https://two.example/users/") for url in inboxes)


async def test_a_directly_addressed_remote_actor_gets_its_personal_inbox(
    db: AsyncSession, ap_settings: Settings, make_peer: MakePeer
) -> None:
    blog = await app_actor(db, ap_settings, "blog")
    peer = await make_peer()
    accept = await enqueue_activity(
        db, blog, {"type": "Accept", "object": "x", "to": [peer.actor.ap_id]}
    )
    await fan_out(db, accept, None)
    assert list(await db.scalars(select(Delivery.inbox_url))) == [peer.actor.inbox_url]


async def _claimed(db: AsyncSession, settings: Settings, make_peer: MakePeer):  # type: ignore[no-untyped-def]
    activity = await _post_with_followers(db, settings, make_peer)
    await fan_out(db, activity, None)
    return await claim_deliveries(db, 10)


async def test_claimed_deliveries_are_leased_and_not_claimed_twice(
    db: AsyncSession, ap_settings: Settings, make_peer: MakePeer
) -> None:
    claimed = await _claimed(db, ap_settings, make_peer)
    assert len(claimed) == 2
    assert await claim_deliveries(db, 10) == []
    states = set(await db.scalars(select(Delivery.status)))
    assert states == {"delivering"}
    # A worker that died: once the lease runs out, the rows come due again.
    await db.execute(update(Delivery).values(next_attempt_at=_DUE))
    assert len(await claim_deliveries(db, 10)) == 2


async def test_release_gives_unsent_rows_back_due_now(
    db: AsyncSession, ap_settings: Settings, make_peer: MakePeer
) -> None:
    claimed = await _claimed(db, ap_settings, make_peer)
    await release(db, claimed)
    assert set(await db.scalars(select(Delivery.status))) == {"pending"}
    assert len(await claim_deliveries(db, 10)) == 2


async def test_outcomes_record_attempts_retry_with_backoff_or_die(
    db: AsyncSession, ap_settings: Settings, make_peer: MakePeer
) -> None:
    ok, failing = await _claimed(db, ap_settings, make_peer)
    await record(
        db, [Outcome(ok, 202, None, 5), Outcome(failing, 500, "boom", 7)], ap_settings.activitypub
    )
    db.expunge_all()
    delivered = await db.get(Delivery, ok.id)
    retrying = await db.get(Delivery, failing.id)
    assert delivered is not None and delivered.status == "delivered" and delivered.attempts == 1
    assert retrying is not None and retrying.status == "failed" and retrying.last_status_code == 500
    assert delivered.delivered_at is not None
    assert retrying.next_attempt_at > delivered.delivered_at  # a backoff after the attempt
    [again] = [c for c in await _reclaim(db) if c.id == failing.id]
    await record(db, [Outcome(again, 400, "bad request", 3)], ap_settings.activitypub)
    db.expunge_all()
    dead = await db.get(Delivery, failing.id)
    assert dead is not None and dead.status == "dead" and dead.attempts == 2
    attempts = list(
        await db.scalars(select(DeliveryAttempt.status_code).order_by(DeliveryAttempt.id))
    )
    assert attempts == [202, 500, 400]


async def _reclaim(db: AsyncSession):  # type: ignore[no-untyped-def]
    await db.execute(update(Delivery).values(next_attempt_at=_DUE))
    return await claim_deliveries(db, 10)


async def test_after_the_last_attempt_a_delivery_is_dead(
    db: AsyncSession, ap_settings: Settings, make_peer: MakePeer
) -> None:
    claimed = await _claimed(db, ap_settings, make_peer)
    last = claimed[0]
    await db.execute(update(Delivery).where(Delivery.id == last.id).values(attempts=16))
    [item] = [c for c in await _reclaim(db) if c.id == last.id]
    await record(db, [Outcome(item, 503, "unavailable", 1)], ap_settings.activitypub)
    db.expunge_all()
    dead = await db.get(Delivery, last.id)
    assert dead is not None and dead.status == "dead" and dead.attempts == 17


async def test_an_inbox_failing_again_and_again_is_paused_and_a_success_resumes_it(
    db: AsyncSession, ap_settings: Settings, make_peer: MakePeer
) -> None:
    settings = ap_settings.activitypub.model_copy(update={"inbox_pause_after_failures": 3})
    claimed = await _claimed(db, ap_settings, make_peer)
    inbox = claimed[0].inbox_url
    for _ in range(3):
        await record(db, [Outcome(claimed[0], 502, "bad gateway", 1)], settings)
    state = await db.scalar(select(InboxState).where(InboxState.inbox_url == inbox))
    assert state is not None and state.consecutive_failures == 3
    assert state.paused_until is not None and state.paused_until > datetime.now(UTC)
    # Paused: its due delivery is not claimed, the other inbox's is.
    await db.execute(update(Delivery).values(status="failed", next_attempt_at=_DUE))
    assert {c.inbox_url for c in await claim_deliveries(db, 10)} == {claimed[1].inbox_url}
    await record(db, [Outcome(claimed[0], 200, None, 1)], settings)
    db.expunge_all()
    state = await db.scalar(select(InboxState).where(InboxState.inbox_url == inbox))
    assert state is not None and state.consecutive_failures == 0 and state.paused_until is None


async def test_a_host_failing_for_seven_days_is_unavailable_until_it_is_heard_from(
    db: AsyncSession, ap_settings: Settings, make_peer: MakePeer
) -> None:
    claimed = await _claimed(db, ap_settings, make_peer)
    inbox = claimed[0].inbox_url
    host = inbox.split("/")[2]
    await record(db, [Outcome(claimed[0], 502, "bad gateway", 1)], ap_settings.activitypub)
    state = await db.scalar(select(InboxState).where(InboxState.inbox_url == inbox))
    assert state is not None and state.failing_since is not None
    assert await db.scalar(select(UnavailableHost.id)) is None  # failing, not for a week
    # A week of failures later, one more fails: the host is unavailable.
    await db.execute(
        update(InboxState).values(failing_since=func.now() - timedelta(days=7, minutes=1))
    )
    await record(db, [Outcome(claimed[0], 502, "bad gateway", 1)], ap_settings.activitypub)
    assert list(await db.scalars(select(UnavailableHost.host))) == [host]
    await db.execute(update(Delivery).values(status="failed", next_attempt_at=_DUE))
    assert {c.inbox_url for c in await claim_deliveries(db, 10)} == {claimed[1].inbox_url}
    # It sends us something: available again, and its deliveries go out.
    await heard_from(db, host)
    await db.execute(update(Delivery).values(status="failed", next_attempt_at=_DUE))
    assert inbox in {c.inbox_url for c in await claim_deliveries(db, 10)}
