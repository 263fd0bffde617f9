"""Fixtures for federation's pages in process: the app with the SMTP stand-in as its
mail server, CSRF tokens read from forms, and members made through the service."""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
from quart.typing import TestClientProtocol as Client
from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts.dtos import NewMember
from shared.dev.smtp import ReceivedMail, SmtpStandIn
from shared.infrastructure.config import Settings
from shared.services.identity import SqlIdentityService
from tests.conftest import AppFactory

PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def smtp_inproc() -> Iterator[SmtpStandIn]:
    with SmtpStandIn() as stand_in:
        yield stand_in


async def federation(make_app: AppFactory, settings: Settings, smtp: SmtpStandIn) -> Client:
    mail = settings.mail.model_copy(update={"backend": "smtp", "smtp_port": smtp.port})
    app = await make_app("federation", app_settings=settings.model_copy(update={"mail": mail}))
    return app.test_client()


async def csrf(client: Client, path: str) -> str:
    html = await (await client.get(path)).get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match
    return match.group(1)


async def member(db: AsyncSession, username: str) -> None:
    await SqlIdentityService().create_member(
        db, NewMember(f"{username}@example.test", username, username.title(), PASSWORD)
    )


def link_in(mail: ReceivedMail, path: str) -> tuple[str, str]:
    """The page (path and query) a mail links to under `path`, and its token."""
    (link,) = {link for link in mail.links() if urlsplit(link).path == path}
    url = urlsplit(link)
    (token,) = parse_qs(url.query)["token"]
    return f"{url.path}?{url.query}", token


def provider_cookie(client: Client) -> str | None:
    """federation's single sign-on cookie in this test browser, if it holds one."""
    jar = client.cookie_jar  # type: ignore[attr-defined]
    return next((c.value for c in jar if c.name == "ra_sso"), None)
