"""Newsletters on a database of their own whose writes really commit (the send job runs
several SMTP connections at once, each in its own transaction), and the SMTP stand-in."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.dev.schema import migrate
from shared.dev.smtp import SmtpStandIn
from shared.infrastructure.config import APP_NAMES, Settings
from shared.infrastructure.db import make_engine, make_sessionmaker
from shared.infrastructure.jobs import JobContext
from shared.models.newsletters import Newsletter, NewsletterSubscription, SubscriptionStatus
from tests.conftest import TEST_SECRET_KEY
from tests.support.activitypub.live import app_urls, settings_for
from tests.support.databases import DatabaseServer

DATABASE = "rose_ash_newsletters"


@pytest.fixture(scope="session")
def newsletters_database(database_server: DatabaseServer) -> Iterator[str]:
    url = database_server.create_fresh(DATABASE)
    migrate(url)
    yield url
    database_server.drop(DATABASE)


@pytest.fixture
def smtp() -> Iterator[SmtpStandIn]:
    with SmtpStandIn() as server:
        yield server


@pytest.fixture
def mail_env(
    newsletters_database: str,
    redis_url: str,
    database_server: DatabaseServer,
    smtp: SmtpStandIn,
) -> dict[str, str]:
    database_server.truncate_all(DATABASE)
    urls = {name: f"http://{name}.localhost:{9700 + i}" for i, name in enumerate(APP_NAMES)}
    return {
        "DATABASE_URL": newsletters_database,
        "REDIS_URL": redis_url,
        "SECRET_KEY": TEST_SECRET_KEY,
        "ROSE_ASH_ENV": "test",
        "MAIL_BACKEND": "smtp",
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(smtp.port),
        "PYTHONUNBUFFERED": "1",
        **app_urls(urls),
    }


@pytest.fixture
def mail_settings(mail_env: dict[str, str]) -> Settings:
    return settings_for(mail_env)


@pytest.fixture
async def committed(mail_settings: Settings) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = make_engine(mail_settings.database)
    yield make_sessionmaker(engine)
    await engine.dispose()


@pytest.fixture
def job_context(mail_settings: Settings, committed: async_sessionmaker[AsyncSession]) -> JobContext:
    # The send job uses no federation client.
    return JobContext(mail_settings, committed, federation=None)  # type: ignore[arg-type]


async def make_list(
    sessions: async_sessionmaker[AsyncSession], slug: str, subscribers: list[str], **fields: Any
) -> tuple[int, dict[str, str]]:
    """A newsletter with confirmed subscribers; its id and each address's unsubscribe token."""
    async with sessions() as session, session.begin():
        newsletter = Newsletter(slug=slug, name=fields.pop("name", slug.title()), **fields)
        session.add(newsletter)
        subs = [
            NewsletterSubscription(
                newsletter=newsletter,
                email=email,
                status=SubscriptionStatus.CONFIRMED,
                unsubscribe_token=f"{slug}-tok-{n:05d}-" + "x" * 20,
            )
            for n, email in enumerate(subscribers)
        ]
        session.add_all(subs)
        await session.flush()
        return newsletter.id, {s.email: s.unsubscribe_token for s in subs}
