"""A visitor with a mouse, in headless Chromium: subscribes by email in the blog's footer,
confirms on the mailed link's page, receives the next post sent to that newsletter, and
unsubscribes with one click. A scanner's GET of the confirm link subscribes nobody."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest
from redis import Redis
from sqlalchemy import select

from shared.dev.schema import migrate
from shared.dev.smtp import SmtpStandIn
from shared.infrastructure.db import make_engine, make_sessionmaker
from shared.infrastructure.jobs import JobContext
from shared.models.newsletters import Newsletter, NewsletterSubscription
from shared.services.newsletters import sends
from shared.services.newsletters.delivery import send_issue
from tests.conftest import TEST_SECRET_KEY
from tests.sso.test_browser_sso import chromium
from tests.support.activitypub.live import settings_for
from tests.support.databases import DatabaseServer
from tests.support.factories import make_post
from tests.support.live import LivePlatform, redis_database

pytestmark = pytest.mark.slow
DATABASE = "rose_ash_newsletters_browser"
VISITOR = "visitor@example.test"


@pytest.fixture
def smtp() -> Iterator[SmtpStandIn]:
    with SmtpStandIn() as server:
        yield server


@pytest.fixture
def live(
    database_server: DatabaseServer,
    redis_url: str,
    tmp_path_factory: pytest.TempPathFactory,
    smtp: SmtpStandIn,
) -> Iterator[LivePlatform]:
    url = database_server.create_fresh(DATABASE)
    migrate(url)
    redis = redis_database(redis_url, 6)  # its own: fragments cached by other tests
    Redis.from_url(redis).flushdb()
    platform = LivePlatform(
        url,
        redis,
        TEST_SECRET_KEY,
        tmp_path_factory.mktemp("newsletter-logs"),
        extra_env={
            "MAIL_BACKEND": "smtp",
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(smtp.port),
            "ROSE_ASH_ENV": "dev",
        },
    )
    yield platform
    platform.stop()
    database_server.drop(DATABASE)


async def test_subscribe_in_the_footer_confirm_receive_the_next_post_and_unsubscribe(
    live: LivePlatform, smtp: SmtpStandIn
) -> None:
    settings = settings_for(live.env())
    engine = make_engine(settings.database)
    sessions = make_sessionmaker(engine)
    async with sessions() as session, session.begin():
        session.add(Newsletter(slug="weekly", name="The Weekly Rose"))
        post = await make_post(session, "The winter market returns", html="<p>Rye is back.</p>")
        post_id = post.id
    live.start("blog", "account")

    async def subscriptions() -> list[tuple[str, str]]:
        async with sessions() as session:
            rows = await session.execute(
                select(NewsletterSubscription.email, NewsletterSubscription.status)
            )
            return [(email, status) for email, status in rows]

    try:
        async with chromium() as (_context, page):
            footer = page.locator("footer form.newsletter-signup")
            for _ in range(20):
                # The first pages after start-up may outrun account's fragment on this
                # loaded machine (the shell then shows none); the fetch still fills the cache.
                await page.goto(live.public_url("blog") + "/")
                if await footer.count():
                    break
                await page.wait_for_timeout(500)
            await footer.get_by_label("Email address").fill(VISITOR)
            await footer.get_by_role("button", name="Subscribe").click()
            await page.get_by_role("heading", name="Check your inbox").wait_for()
            assert page.url.startswith(live.public_url("account"))
            assert await subscriptions() == [], "no subscriber before the confirmation"

            mail = smtp.wait_for(to=VISITOR, subject="Confirm")
            [link] = [u for u in mail.links() if "/newsletters/confirm" in u]
            # A mail scanner follows the link: it sees the page and presses nothing.
            async with httpx.AsyncClient() as scanner:
                scanned = await scanner.get(
                    link.replace(live.public_url("account"), live.internal_url("account"))
                )
            assert scanned.status_code == 200 and "Confirm" in scanned.text
            assert await subscriptions() == []

            await page.goto(link)
            await page.get_by_role("button", name="Confirm").click()
            await page.get_by_role("heading", name="You are subscribed").wait_for()
            assert await subscriptions() == [(VISITOR, "confirmed")]

            # The next post sent to that newsletter reaches the visitor.
            async with sessions() as session, session.begin():
                newsletter_id = await session.scalar(select(Newsletter.id))
                assert newsletter_id is not None
                send_id = await sends.send_post(session, newsletter_id, post_id)
            await send_issue(JobContext(settings, sessions, None), {"send_id": send_id})  # type: ignore[arg-type]
            issue = smtp.wait_for(to=VISITOR, subject="The winter market returns")
            assert "Rye is back." in issue.text
            [unsubscribe] = re.findall(
                r"<(https?://[^>]+)>", issue.header("List-Unsubscribe") or ""
            )

            # One click on the mail's unsubscribe link.
            await page.goto(unsubscribe)
            await page.get_by_role("button", name="Unsubscribe").click()
            await page.get_by_role("heading", name="You are unsubscribed").wait_for()
            await page.screenshot(path=str(live.log_dir / "unsubscribed.png"))
        assert await subscriptions() == [(VISITOR, "unsubscribed")]
    finally:
        await engine.dispose()
