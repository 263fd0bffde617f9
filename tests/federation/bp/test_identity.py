"""federation's identity pages, in process: sign-up reports every refused field, sign-in
errors say nothing about which field was wrong, sign-in is rate-limited, and a password is
reset by a mailed link."""

from __future__ import annotations

import asyncio
import html as markup
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from quart.typing import TestClientProtocol as Client
from redis.asyncio import Redis
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from federation.bp.identity import SIGNIN_PER_PAIR
from shared.contracts.dtos import NewMember
from shared.dev.smtp import ReceivedMail, SmtpStandIn
from shared.infrastructure.config import Settings
from shared.infrastructure.oidc.sessions import ProviderSessions
from shared.infrastructure.rate_limit import RateLimiter, address_bucket
from shared.infrastructure.runtime import runtime
from shared.models.identity import User
from shared.services.identity import SqlIdentityService
from tests.conftest import AppFactory
from tests.federation.conftest import PASSWORD, csrf, federation, member


def reset_link(mail: ReceivedMail) -> tuple[str, str]:
    """The reset page (path and query) a mail links to, and its token; never in the path."""
    (link,) = {link for link in mail.links() if "/password/reset" in link}
    url = urlsplit(link)
    assert url.path == "/password/reset"
    (token,) = parse_qs(url.query)["token"]
    return f"{url.path}?{url.query}", token


async def sign_in(client: Client, login: str, password: str) -> tuple[int, str]:
    token = await csrf(client, "/signin")
    response = await client.post(
        "/signin", form={"csrf_token": token, "login": login, "password": password}
    )
    return response.status_code, await response.get_data(as_text=True)


async def test_a_wrong_password_and_an_unknown_member_get_the_same_answer(
    db: AsyncSession, make_app: AppFactory, settings: Settings, smtp_inproc: SmtpStandIn
) -> None:
    await member(db, "quinn")
    client = await federation(make_app, settings, smtp_inproc)

    wrong_password = await sign_in(client, "quinn", "not the password")
    unknown = await sign_in(client, "nobody-here", PASSWORD)

    assert wrong_password[0] == unknown[0] == 401
    message = "That email or username and password don&#39;t match"
    assert message in wrong_password[1] and message in unknown[1]
    status, _ = await sign_in(client, "Quinn@Example.test", PASSWORD)
    assert status == 302


async def test_repeated_failures_on_one_account_are_refused_with_429(
    db: AsyncSession, make_app: AppFactory, settings: Settings, smtp_inproc: SmtpStandIn
) -> None:
    await member(db, "riley")
    client = await federation(make_app, settings, smtp_inproc)
    for _ in range(5):
        assert (await sign_in(client, "riley", "guess"))[0] == 401

    status, html = await sign_in(client, "riley", PASSWORD)

    assert status == 429
    assert "Too many attempts" in html


async def test_a_password_is_reset_by_the_mailed_link_once(
    db: AsyncSession, make_app: AppFactory, settings: Settings, smtp_inproc: SmtpStandIn
) -> None:
    await member(db, "sam")
    client = await federation(make_app, settings, smtp_inproc)
    token = await csrf(client, "/password/forgot")
    answer = await client.post(
        "/password/forgot", form={"csrf_token": token, "email": "sam@example.test"}
    )
    assert "Check your email" in await answer.get_data(as_text=True)

    mail = smtp_inproc.wait_for(to="sam@example.test", subject="Reset your password")
    page, token = reset_link(mail)
    form = {"csrf_token": await csrf(client, page), "token": token, "password": "brand new pw!"}
    assert (await client.post("/password/reset", form=form)).status_code == 200
    assert (await client.post("/password/reset", form=form)).status_code == 400  # used up
    used = await client.get(page)
    assert used.status_code == 400 and "That link has expired" in await used.get_data(as_text=True)

    assert (await sign_in(client, "sam", PASSWORD))[0] == 401
    assert (await sign_in(client, "sam", "brand new pw!"))[0] == 302


async def test_a_password_reset_signs_the_member_out_everywhere(
    db: AsyncSession,
    make_app: AppFactory,
    settings: Settings,
    smtp_inproc: SmtpStandIn,
    redis: Redis,
) -> None:
    await member(db, "tess")
    user = await SqlIdentityService().get_user_by_username(db, "tess")
    assert user is not None
    sessions = ProviderSessions(redis, lifetime_seconds=3600)
    laptop = await federation(make_app, settings, smtp_inproc)
    assert (await sign_in(laptop, "tess", PASSWORD))[0] == 302
    assert len(await sessions.sids_of(user.id)) == 1

    phone = await federation(make_app, settings, smtp_inproc)
    token = await csrf(phone, "/password/forgot")
    await phone.post("/password/forgot", form={"csrf_token": token, "email": "tess@example.test"})
    mail = smtp_inproc.wait_for(to="tess@example.test", subject="Reset your password")
    page, token = reset_link(mail)
    form = {"csrf_token": await csrf(phone, page), "token": token, "password": "brand new pw!"}
    answer = await phone.post("/password/reset", form=form)

    assert "has been signed out" in await answer.get_data(as_text=True)
    assert await sessions.sids_of(user.id) == []
    # The laptop's provider cookie no longer opens a session.
    (cookie,) = [c.value for c in laptop.cookie_jar if c.name == "ra_sso"]  # type: ignore[union-attr]
    assert await sessions.get(cookie) is None


async def test_fifty_parallel_wrong_passwords_count_as_fifty(
    make_app: AppFactory, settings: Settings, smtp_inproc: SmtpStandIn, redis: Redis
) -> None:
    # Its own connections (not the test's one), so the 50 really run side by side.
    mail = settings.mail.model_copy(update={"backend": "smtp", "smtp_port": smtp_inproc.port})
    app = await make_app(
        "federation", app_settings=settings.model_copy(update={"mail": mail}), bind=False
    )
    db = runtime(app).db
    async with db.session() as session:
        await member(session, "ulla_parallel")
        await session.commit()
    try:
        client = app.test_client()
        token = await csrf(client, "/signin")
        form = {"csrf_token": token, "login": "ulla_parallel", "password": "not the password"}

        here = {"client": ("198.51.100.20", 4000)}
        responses = await asyncio.gather(
            *(client.post("/signin", form=form, scope_base=here) for _ in range(50))
        )

        statuses = [r.status_code for r in responses]
        assert statuses.count(401) == SIGNIN_PER_PAIR.hits  # only the allowance reached argon2
        assert statuses.count(429) == 50 - SIGNIN_PER_PAIR.hits
        count = await RateLimiter(redis).count(SIGNIN_PER_PAIR, "ulla_parallel|198.51.100.20")
        assert count == 50
    finally:
        async with db.session() as session:
            await session.execute(delete(User).where(User.username == "ulla_parallel"))
            await session.commit()


async def test_a_stranger_cannot_lock_a_known_username_out(
    db: AsyncSession, make_app: AppFactory, settings: Settings, smtp_inproc: SmtpStandIn
) -> None:
    await member(db, "vera")
    client = await federation(make_app, settings, smtp_inproc)
    token = await csrf(client, "/signin")
    stranger = {"client": ("2001:db8:1:2::7", 4000)}
    for _ in range(SIGNIN_PER_PAIR.hits + 3):
        await client.post(
            "/signin",
            form={"csrf_token": token, "login": "vera", "password": "guess"},
            scope_base=stranger,
        )
    # Another address of the stranger's /64 is the same stranger ...
    same_net = await client.post(
        "/signin",
        form={"csrf_token": token, "login": "vera", "password": PASSWORD},
        scope_base={"client": ("2001:db8:1:2:ffff::1", 4000)},
    )
    assert same_net.status_code == 429
    # ... while the member, elsewhere, signs in.
    assert (await sign_in(client, "vera", PASSWORD))[0] == 302


@pytest.mark.parametrize(
    ("address", "bucket"),
    [
        ("203.0.113.9", "203.0.113.9"),
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
        ("::ffff:203.0.113.9", "203.0.113.9"),
        (None, "unknown"),
    ],
)
def test_addresses_are_limited_per_host_or_ipv6_64(address: str | None, bucket: str) -> None:
    assert address_bucket(address) == bucket


@pytest.mark.parametrize(
    "query", ["", "?token=", "?token=short", "?token=" + "A" * 43, "?token=%00", "?token=%C2%B2"]
)
async def test_a_malformed_or_unknown_reset_link_says_so(
    make_app: AppFactory, settings: Settings, smtp_inproc: SmtpStandIn, query: str
) -> None:
    client = await federation(make_app, settings, smtp_inproc)
    response = await client.get(f"/password/reset{query}")
    assert response.status_code == 400
    html = await response.get_data(as_text=True)
    assert 'name="password"' not in html  # no form for a link that cannot work
    if "%00" not in query:
        assert "That link has expired" in html


async def test_the_reset_mail_is_text_and_html_from_templates(
    db: AsyncSession, make_app: AppFactory, settings: Settings, smtp_inproc: SmtpStandIn
) -> None:
    await member(db, "wren")
    client = await federation(make_app, settings, smtp_inproc)
    token = await csrf(client, "/password/forgot")
    await client.post("/password/forgot", form={"csrf_token": token, "email": "wren@example.test"})
    mail = smtp_inproc.wait_for(to="wren@example.test", subject="Reset your password")
    assert mail.text.startswith("Hello Wren,")
    assert "within 1 hour:" in mail.text
    page, _ = reset_link(mail)
    assert (await client.get(page)).status_code == 200


async def submit_signup(
    client: Client, next_path: str | None = None, **fields: str
) -> tuple[int, str]:
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

    status, html = await submit_signup(
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

    status, html = await submit_signup(
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

    status, location = await submit_signup(
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

    status, location = await submit_signup(
        client,
        next_path="//evil.example/",
        display_name="Wren",
        username="wren",
        email="wren@example.test",
        password=PASSWORD,
    )

    assert (status, location) == (302, "/auth/login")
