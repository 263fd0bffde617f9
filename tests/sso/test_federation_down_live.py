"""The silent sign-in check does not make federation a single point of failure."""

from __future__ import annotations

import time

import httpx
import pytest

from shared.infrastructure.oauth import PROBE_DOWN_TTL_SECONDS, PROBE_TTL_SECONDS
from tests.support.live import LivePlatform

pytestmark = pytest.mark.slow

NAVIGATE = {"Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document"}


def test_with_federation_down_new_visitors_reach_the_app_anonymously(
    live_sso: LivePlatform,
) -> None:
    blog = live_sso.internal_url("blog")
    # Up: a new visitor is sent to federation for the silent check.
    assert httpx.get(blog + "/", headers=NAVIGATE).status_code == 302

    live_sso.stop_app("federation")
    try:
        # The last "up" answer is kept PROBE_TTL_SECONDS; after that, a new visitor
        # gets the page as anonymous, and quickly.
        deadline = time.monotonic() + PROBE_TTL_SECONDS + 5
        while True:
            started = time.monotonic()
            response = httpx.get(blog + "/", headers=NAVIGATE, timeout=10)
            if response.status_code == 200 or time.monotonic() > deadline:
                break
            time.sleep(1)
        assert response.status_code == 200
        assert time.monotonic() - started < 3
        assert "ra_sso_checked" not in response.headers.get("set-cookie", "")
    finally:
        live_sso.start("federation")
    time.sleep(PROBE_DOWN_TTL_SECONDS)  # the apps see it back: the next tests sign in
    assert httpx.get(blog + "/", headers=NAVIGATE).status_code == 302
