"""Killing the worker in the middle of a 2,000-recipient send and starting it again
delivers each recipient exactly one copy (real worker processes, SIGKILL)."""

from __future__ import annotations

import asyncio
import signal
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.dev.smtp import SmtpStandIn
from shared.infrastructure.activitypub.keys import generate_keypair
from shared.models.newsletters import NewsletterDelivery, NewsletterSend
from shared.services.newsletters import sends
from tests.services.newsletters.conftest import make_list
from tests.support.activitypub.live import Workers, worker_env
from tests.support.activitypub.standin import eventually

pytestmark = pytest.mark.slow
RECIPIENTS = 2000


async def _sent(sessions: async_sessionmaker[AsyncSession], send_id: int) -> int:
    async with sessions() as session:
        return (
            await session.scalar(
                select(func.count(NewsletterDelivery.id)).where(
                    NewsletterDelivery.send_id == send_id, NewsletterDelivery.status == "sent"
                )
            )
            or 0
        )


async def test_a_send_killed_midway_and_resumed_mails_each_recipient_exactly_once(
    committed: async_sessionmaker[AsyncSession],
    mail_env: dict[str, str],
    smtp: SmtpStandIn,
    tmp_path: Path,
) -> None:
    people = [f"member{n:04d}@example.test" for n in range(RECIPIENTS)]
    newsletter_id, _ = await make_list(committed, "weekly", people)
    async with committed() as session, session.begin():
        send_id = await sends.create_issue(session, newsletter_id, "The big one", "Hello all.")
    env = worker_env(
        {
            **mail_env,
            "AP_PRIVATE_KEY": generate_keypair().private_pem,
            # Short, so the killed worker's job is taken again soon; not so short that a
            # loaded machine's late heartbeat loses a live run its lease.
            "JOBS_LEASE_SECONDS": "5",
            "JOBS_POLL_SECONDS": "0.2",
        }
    )
    pool = Workers(env, tmp_path)
    try:
        [first] = pool.start(1)

        async def midway() -> bool:
            return len(smtp.received) >= 300

        await eventually(midway, within=120, what=lambda: pool.logs())
        first.send_signal(signal.SIGKILL)
        await asyncio.to_thread(first.wait, 10)
        killed_at = len(smtp.received)
        assert killed_at < RECIPIENTS, "the send was still going when the worker died"
        pool.start(1)

        async def finished() -> bool:
            async with committed() as session:
                send = await session.get(NewsletterSend, send_id)
                return send is not None and send.status == "sent"

        await eventually(finished, within=300, what=lambda: pool.logs())

        # The send is `sent` once every row is; the stand-in may still be storing the last.
        async def all_arrived() -> bool:
            return len(smtp.received) >= RECIPIENTS

        await eventually(all_arrived, within=30, what=lambda: pool.logs())
    finally:
        pool.stop_all()
    copies = Counter(r for mail in smtp.received for r in mail.recipients)
    assert copies == Counter({person: 1 for person in people})
    assert await _sent(committed, send_id) == RECIPIENTS
