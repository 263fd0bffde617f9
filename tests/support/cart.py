"""What the cart's tests share: the SumUp stand-in, settings pointing at it, units of work
bound to the test's transaction, and delivering the mails the cart queued."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest
from redis.asyncio import Redis
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.dev.smtp import ReceivedMail, SmtpStandIn
from shared.dev.sumup import SumUpStandIn
from shared.infrastructure.config import Settings
from shared.infrastructure.fragment_cache import FragmentCache
from shared.infrastructure.jobs.context import JobContext
from shared.infrastructure.sumup import SumUpClient
from shared.infrastructure.uow import UnitOfWork
from shared.models.jobs import Job
from shared.services.cart.mails import SEND_MAIL, send_mail
from shared.services.handlers import event_handlers
from shared.services.registry import wire_services


@pytest.fixture(scope="session")
def sumup_stand_in() -> Iterator[SumUpStandIn]:
    with SumUpStandIn(webhook_delays=(0, 0.2, 0.5, 1)) as stand_in:
        yield stand_in


@pytest.fixture
def sumup(sumup_stand_in: SumUpStandIn) -> Iterator[SumUpStandIn]:
    sumup_stand_in.up()  # a test that took it down gives it back
    yield sumup_stand_in
    sumup_stand_in.up()


def with_sumup(settings: Settings, stand_in: SumUpStandIn, **extra: Any) -> Settings:
    sumup = settings.sumup.model_copy(
        update={
            "api_url": stand_in.url,
            "api_key": stand_in.api_key,
            "merchant_code": stand_in.merchant_code,
            **extra,
        }
    )
    return settings.model_copy(update={"sumup": sumup})


@pytest.fixture
def cart_settings(settings: Settings, sumup: SumUpStandIn) -> Settings:
    return with_sumup(settings, sumup)


@pytest.fixture
async def sumup_client(cart_settings: Settings) -> AsyncIterator[SumUpClient]:
    client = SumUpClient(cart_settings.sumup)
    yield client
    await client.aclose()


Units = Callable[[], UnitOfWork]


@pytest.fixture
def units(
    sessions: async_sessionmaker[AsyncSession], cart_settings: Settings, redis: Redis
) -> Units:
    """Units of work as the app opens them: every handler, inside the test's transaction."""
    wire_services(cart_settings)
    handlers = event_handlers()
    fragments = FragmentCache(redis, keep_stale=60, timeout=1.0)

    def open_unit() -> UnitOfWork:
        return UnitOfWork(sessions(), handlers=handlers, fragments=fragments, owns_session=True)

    return open_unit


@pytest.fixture
def smtp() -> Iterator[SmtpStandIn]:
    with SmtpStandIn() as stand_in:
        yield stand_in


async def queued_mails(session: AsyncSession) -> list[dict[str, Any]]:
    jobs = await session.scalars(select(Job).where(Job.kind == SEND_MAIL).order_by(Job.id))
    return [job.payload for job in jobs]


async def deliver_mails(
    session: AsyncSession, settings: Settings, smtp: SmtpStandIn
) -> list[ReceivedMail]:
    """Run the queued cart.send_mail jobs' handler against the SMTP stand-in."""
    mail = settings.mail.model_copy(
        update={"backend": "smtp", "smtp_host": "127.0.0.1", "smtp_port": smtp.port}
    )
    ctx = JobContext(settings.model_copy(update={"mail": mail}), None, None)  # type: ignore[arg-type]
    payloads = await queued_mails(session)
    for payload in payloads:
        await send_mail(ctx, payload)
    return [smtp.wait_for(to=p["to"], subject=p["subject"]) for p in payloads]
