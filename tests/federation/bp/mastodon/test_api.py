"""The Mastodon client API driven by Mastodon.py (PyPI `mastodon-py`), a client we did
not write, against a live federation app: register an app, complete OAuth as a member
(code + PKCE), post a status with an image, read it back from the home timeline,
favourite, read notifications, and page the public timeline by its Link headers; and
the API's errors for bad input."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import io
import re
import secrets
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import asyncpg
import pytest
import requests
from mastodon import Mastodon, MastodonAPIError, MastodonNotFoundError
from PIL import Image

from shared.dev.schema import migrate
from shared.infrastructure.oidc.keys import generate_private_key_pem
from tests.conftest import TEST_SECRET_KEY
from tests.sso.conftest import Member, csrf_of, sign_up
from tests.support.databases import DatabaseServer
from tests.support.live import LivePlatform, redis_database

pytestmark = pytest.mark.slow
REDIRECT = "http://127.0.0.1:9/callback"  # never fetched: the code is read off the redirect


@pytest.fixture(scope="module")
def live(
    database_server: DatabaseServer, redis_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LivePlatform]:
    url = database_server.create_fresh("rose_ash_mastodon_api")
    migrate(url)
    platform = LivePlatform(
        url,
        redis_database(redis_url, 6),
        TEST_SECRET_KEY,
        tmp_path_factory.mktemp("mastodon-logs"),
        extra_env={"OIDC_PRIVATE_KEY": generate_private_key_pem(), "ROSE_ASH_ENV": "dev"},
        loopback_ips=True,  # its public URL (the OAuth issuer's) is reachable from here
    )
    platform.start("federation")
    yield platform
    platform.stop()
    database_server.drop("rose_ash_mastodon_api")


class PkceSession(requests.Session):
    """Mastodon.py 2.3 does not send PKCE, which our authorization server requires of
    every client: this session (Mastodon.py takes one) adds the verifier to the token
    request, as a PKCE-speaking client does. Nothing else about its calls changes."""

    verifier = ""

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        if url.endswith("/oauth/token") and isinstance(kwargs.get("data"), dict):
            kwargs["data"] = {**kwargs["data"], "code_verifier": self.verifier}
        return super().request(method, url, *args, **kwargs)


OPEN: list[Any] = []  # sessions and clients the test opened, closed after each test


@pytest.fixture(autouse=True)
def close_clients() -> Iterator[None]:
    yield
    while OPEN:
        OPEN.pop().close()


def member_of(live: LivePlatform, username: str) -> Member:
    """A member who has confirmed their address (the provider lets only those connect apps)."""
    member = sign_up(live, username)
    OPEN.append(member.browser)

    async def confirm() -> None:
        conn = await asyncpg.connect(live.database_url)
        try:
            await conn.execute(
                "UPDATE users SET email_verified_at = now() WHERE username = $1", username
            )
        finally:
            await conn.close()

    asyncio.run(confirm())
    return member


def authorized(live: LivePlatform, member: Member, scopes: list[str]) -> Mastodon:
    base = live.internal_url("federation")
    client_id, secret = Mastodon.create_app(
        "Rose Ash test app", scopes=scopes, redirect_uris=REDIRECT, api_base_url=base
    )
    session = PkceSession()
    OPEN.append(session)
    api = Mastodon(client_id=client_id, client_secret=secret, api_base_url=base, session=session)
    session.verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(session.verifier.encode()).digest())
    url = api.auth_request_url(redirect_uris=REDIRECT, scopes=scopes, allow_http=True)
    url += f"&code_challenge={challenge.decode().rstrip('=')}&code_challenge_method=S256"
    answer = member.browser.get(url.replace(base, ""))
    if answer.status_code == 200:  # the consent page for a third-party client
        query = re.search(r'name="query" value="([^"]*)"', answer.text)
        assert query, answer.text[-2000:]
        answer = member.browser.post(
            "/oauth/authorize/decision",
            data={
                "csrf_token": csrf_of(answer.text),
                "query": query.group(1).replace("&amp;", "&"),
                "decision": "allow",
            },
        )
    assert answer.status_code in (302, 303), answer.text[-2000:]
    location = answer.headers["location"]
    assert location.startswith(REDIRECT), location
    code = parse_qs(urlsplit(location).query)["code"][0]
    api.log_in(code=code, redirect_uri=REDIRECT, scopes=scopes, allow_http=True)
    return api


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (20, 120, 90)).save(buffer, "PNG")
    return buffer.getvalue()


def test_mastodon_py_posts_reads_favourites_and_pages(live: LivePlatform) -> None:
    cleo, ben = member_of(live, "cleoapi"), member_of(live, "benapi")
    api = authorized(live, cleo, ["read", "write", "follow"])
    me = api.account_verify_credentials()
    assert me["username"] == "cleoapi" and me["acct"] == "cleoapi"

    media = api.media_post(png(), mime_type="image/png", description="a green square")
    posted = api.status_post("Hello from Mastodon.py #api", media_ids=[media])
    assert posted["media_attachments"][0]["description"] == "a green square"
    assert posted["media_attachments"][0]["url"].startswith("http")
    home = api.timeline_home()
    assert home[0]["id"] == posted["id"] and "Hello from Mastodon.py" in home[0]["content"]
    assert [t["name"] for t in home[0]["tags"]] == ["api"]

    edited = api.status_update(posted["id"], status="Hello again from Mastodon.py #api")
    assert "Hello again" in edited["content"] and edited["edited_at"] is not None
    assert edited["media_attachments"][0]["description"] == "a green square"  # kept

    favourited = api.status_favourite(posted["id"])
    assert favourited["favourited"] and favourited["favourites_count"] == 1
    ben_api = authorized(live, ben, ["read", "write"])
    ben_api.status_favourite(posted["id"])
    report = ben_api.report(me["id"], status_ids=[posted["id"]], comment="testing reports")
    assert report["target_account"]["acct"] == "cleoapi" and not report["forwarded"]
    notifications = api.notifications()
    assert [(n["type"], n["account"]["acct"]) for n in notifications] == [("favourite", "benapi")]
    grouped = api.grouped_notifications()
    [group] = grouped["notification_groups"]
    assert group["type"] == "favourite" and group["notifications_count"] == 1
    assert group["status_id"] == str(posted["id"])
    assert [a["acct"] for a in grouped["accounts"]] == ["benapi"]

    followed = ben_api.account_follow(me["id"])
    assert followed["following"] and not followed["requested"]
    [relationship] = api.account_relationships(ben_api.account_verify_credentials()["id"])
    assert relationship["followed_by"] and not relationship["following"]
    assert ben_api.account_unfollow(me["id"])["following"] is False

    for n in range(5):
        api.status_post(f"Numbered post {n}")
    seen: list[str] = []
    part = api.timeline_public(limit=2)
    while part:
        seen += [s["id"] for s in part]
        part = api.fetch_next(part)
    assert len(seen) == 6 and seen == sorted(seen, key=int, reverse=True)


def test_the_api_refuses_bad_input_with_mastodons_errors(live: LivePlatform) -> None:
    dora, eve = member_of(live, "doraapi"), member_of(live, "eveapi")
    api = authorized(live, dora, ["read", "write"])
    with pytest.raises(MastodonAPIError) as too_long:
        api.status_post("x" * 501)
    assert too_long.value.args[1] == 422 and "character limit" in str(too_long.value)
    # Mastodon.py checks visibility itself, so this one is a plain request with its token.
    with requests.post(
        f"{live.public_url('federation')}/api/v1/statuses",
        data={"status": "hi", "visibility": "everyone"},
        headers={"Authorization": f"Bearer {api.access_token}"},
        timeout=10,
    ) as response:
        assert response.status_code == 422 and "Visibility" in response.json()["error"]
    secret = api.status_post("only for me", visibility="direct")
    other = authorized(live, eve, ["read", "write"])
    with pytest.raises(MastodonNotFoundError):
        other.status_post("me too", in_reply_to_id=secret["id"])
    reader = authorized(live, eve, ["read"])
    with pytest.raises(MastodonAPIError) as scope:
        reader.status_post("can I write?")
    assert scope.value.args[1] == 403
    assert reader.timeline_home() == []  # reading is what it may do
