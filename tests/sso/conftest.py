"""Fixtures for the single sign-on tests: one live platform (all six apps as real
processes, with a signing key and the SMTP stand-in) shared by this package."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
import redis

from shared.dev.schema import migrate
from shared.dev.smtp import SmtpStandIn
from shared.infrastructure.oidc.clients import derive_client_secret
from shared.infrastructure.oidc.keys import generate_private_key_pem
from tests.conftest import TEST_SECRET_KEY
from tests.support.databases import DatabaseServer
from tests.support.live import LivePlatform, redis_database

LIVE_DATABASE = "rose_ash_sso"
PASSWORD = "a long enough password"
_CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture(scope="package")
def smtp() -> Iterator[SmtpStandIn]:
    with SmtpStandIn() as stand_in:
        yield stand_in


@pytest.fixture(scope="package")
def live_sso(
    database_server: DatabaseServer,
    redis_url: str,
    tmp_path_factory: pytest.TempPathFactory,
    smtp: SmtpStandIn,
) -> Iterator[LivePlatform]:
    url = database_server.create_fresh(LIVE_DATABASE)
    migrate(url)
    # A Redis database of its own: other tests flush theirs.
    redis = redis_database(redis_url, 7)
    platform = LivePlatform(
        url,
        redis,
        TEST_SECRET_KEY,
        tmp_path_factory.mktemp("sso-logs"),
        extra_env={
            "OIDC_PRIVATE_KEY": generate_private_key_pem(),
            "MAIL_BACKEND": "smtp",
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(smtp.port),
            # Plain-http loopback: cookies must not be Secure for httpx to send them back.
            "ROSE_ASH_ENV": "dev",
        },
    )
    platform.start()
    yield platform
    platform.stop()
    database_server.drop(LIVE_DATABASE)


def csrf_of(html: str) -> str:
    match = _CSRF_RE.search(html)
    assert match, "no CSRF token in the page"
    return match.group(1)


@dataclass
class Member:
    username: str
    email: str
    display_name: str
    browser: httpx.Client  # signed in at federation (its SSO cookie)


def forget_signup_limits(live: LivePlatform) -> None:
    """Every test here signs up from 127.0.0.1: more than SIGNUP_LIMIT_PER_IP allows an
    hour, in one package run. The limit itself is tested in process."""
    store = redis.Redis.from_url(live.redis_url)
    try:
        for key in store.scan_iter("ra:rl:signup-ip:*"):
            store.delete(key)
    finally:
        store.close()


def sign_up(live: LivePlatform, username: str) -> Member:
    """A new member, signed up through federation's form over HTTP."""
    forget_signup_limits(live)
    browser = httpx.Client(base_url=live.internal_url("federation"), timeout=10)
    page = browser.get("/signup")
    email = f"{username}@example.test"
    response = browser.post(
        "/signup",
        data={
            "csrf_token": csrf_of(page.text),
            "email": email,
            "username": username,
            "display_name": username.title(),
            "password": PASSWORD,
            "next": "/",
        },
    )
    assert response.status_code == 302, response.text
    return Member(username, email, username.title(), browser)


def client_secret(client_id: str) -> str:
    return derive_client_secret(TEST_SECRET_KEY, client_id)


def to_internal(live: LivePlatform, url: str) -> str:
    """A public URL of one of the apps, as the tests (no *.localhost resolver) reach it."""
    for name in live.ports:
        if url.startswith(live.public_url(name)):
            return live.internal_url(name) + url[len(live.public_url(name)) :]
    return url
