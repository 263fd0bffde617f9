"""Sign-up at federation, in process: every refused field is reported at once beside
its field, and a new member goes back to where they were (the `next` path)."""

from __future__ import annotations

import html as markup
import re
from collections.abc import Iterator

import pytest
from quart.typing import TestClientProtocol as Client
from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts.dtos import NewMember
from shared.dev.smtp import SmtpStandIn
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


async def sign_up(client: Client, next_path: str | None = None, **fields: str) -> tuple[int, str]:
    query = f"?next={next_path}" if next_path else ""
    html = await (await client.get(f"/signup{query}")).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html)
    carried = re.search(r'name="next" value="([^"]*)"', html)
    assert token and carried
    next_value = markup.unescape(carried.group(1))  # what the browser sends back
    form = {"csrf_token": token.group(1), "next": next_value, **fields}
    response = await client.post("/signup", form=form)
    body = await response.get_data(as_text=True)
    return response.status_code, response.headers.get("Location") or body


def message_beside(html: str, field: str) -> str:
    """The error shown inside the field's own label, tied to its input."""
    found = re.search(
        rf'<input id="{field}"[^>]*aria-invalid="true" aria-describedby="{field}-error"[^>]*>'
        rf'\s*<small id="{field}-error">([^<]+)</small>',
        html,
    )
    assert found, f"no error beside {field}"
    return found.group(1)


async def test_every_malformed_field_is_reported_at_once_beside_its_field(
    make_app: AppFactory, settings: Settings, smtp_inproc: SmtpStandIn
) -> None:
    client = await federation(make_app, settings, smtp_inproc)

    status, html = await sign_up(
        client,
        display_name="x" * 101,
        username="no spaces please",
        email="not-an-address",
        password="short",
    )

    assert status == 400
    assert "email address like" in message_beside(html, "email")
    assert "letters, digits and underscores" in message_beside(html, "username")
    assert "under 100 characters" in message_beside(html, "display_name")
    assert "at least 10 characters" in message_beside(html, "password")
    assert "4 fields need" in html
    assert 'value="not-an-address"' in html  # what was typed is kept


async def test_a_taken_email_and_username_are_both_reported(
    db: AsyncSession, make_app: AppFactory, settings: Settings, smtp_inproc: SmtpStandIn
) -> None:
    await SqlIdentityService().create_member(
        db, NewMember("uma@example.test", "uma", "Uma", PASSWORD)
    )
    client = await federation(make_app, settings, smtp_inproc)

    status, html = await sign_up(
        client, display_name="Uma", username="uma", email="uma@example.test", password=PASSWORD
    )

    assert status == 400
    assert "already an account" in message_beside(html, "email")
    assert "taken" in message_beside(html, "username")


async def test_a_new_member_goes_back_to_the_page_they_came_from(
    make_app: AppFactory, settings: Settings, smtp_inproc: SmtpStandIn
) -> None:
    client = await federation(make_app, settings, smtp_inproc)
    came_from = "/oauth/authorize?client_id=blog&state=s1"

    status, location = await sign_up(
        client,
        next_path="/oauth/authorize%3Fclient_id%3Dblog%26state%3Ds1",
        display_name="Vera",
        username="vera",
        email="vera@example.test",
        password=PASSWORD,
    )

    assert (status, location) == (302, came_from)


async def test_a_next_pointing_off_the_site_is_not_followed(
    make_app: AppFactory, settings: Settings, smtp_inproc: SmtpStandIn
) -> None:
    client = await federation(make_app, settings, smtp_inproc)

    status, location = await sign_up(
        client,
        next_path="//evil.example/",
        display_name="Wren",
        username="wren",
        email="wren@example.test",
        password=PASSWORD,
    )

    assert (status, location) == (302, "/auth/login")
