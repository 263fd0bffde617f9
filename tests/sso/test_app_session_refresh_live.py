"""An app's own session refreshes its tokens before the access token expires (a fresh
id_token each time, same cookie); when federation refuses the refresh (the grant was
revoked), the app's session ends. All six apps as real processes."""

from __future__ import annotations

import json
import time

import httpx
import pytest
import redis

from tests.sso.conftest import client_secret, sign_up
from tests.sso.test_reset_ends_sessions_live import sign_in_to
from tests.support.live import LivePlatform

pytestmark = pytest.mark.slow


def make_due(store: redis.Redis, key: str, data: dict[str, object]) -> None:
    """As if the access token were about to expire."""
    store.set(key, json.dumps({**data, "access_expires_at": time.time() + 5}), keepttl=True)


def test_an_app_session_refreshes_before_expiry_and_ends_when_the_grant_is_revoked(
    live_sso: LivePlatform,
) -> None:
    member = sign_up(live_sso, "refresher")
    blog = sign_in_to(live_sso, "blog", member.browser)
    store = redis.Redis.from_url(live_sso.redis_url)
    keys = [k for k in store.scan_iter("ra:sess:blog:s:*")]
    assert keys
    found = [json.loads(store.get(k) or "{}") for k in keys]
    mine = [d for d in found if d.get("id_token") and d.get("refresh_token")]
    assert mine
    # The member's blog session: the most recent one.
    data = max(mine, key=lambda d: float(d["created_at"]))  # type: ignore[arg-type]
    key = next(k.decode() for k, d in zip(keys, found, strict=True) if d is data)
    make_due(store, key, data)

    page = blog.get("/")
    after = json.loads(store.get(key) or "{}")

    assert member.display_name in page.text
    assert after["access_token"] != data["access_token"]
    assert after["id_token"] != data["id_token"]
    assert float(after["access_expires_at"]) > time.time() + 60

    revoked = httpx.post(
        live_sso.internal_url("federation") + "/oauth/revoke",
        data={"token": after["refresh_token"], "token_type_hint": "refresh_token"},
        auth=("blog", client_secret("blog")),
        timeout=10,
    )
    assert revoked.status_code == 200
    make_due(store, key, after)

    assert member.display_name not in blog.get("/").text
    assert store.get(key) is None
    blog.close()
    member.browser.close()
