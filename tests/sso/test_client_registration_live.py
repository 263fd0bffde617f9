"""Two platforms on one database: the second cannot rewrite the first's OAuth clients."""

from __future__ import annotations

import httpx
import pytest

from tests.sso.conftest import sign_up, to_internal
from tests.support.live import LivePlatform

pytestmark = pytest.mark.slow


def test_a_second_federation_with_other_urls_leaves_the_first_signing_in(
    live_sso: LivePlatform,
) -> None:
    other = LivePlatform(
        live_sso.database_url,
        live_sso.redis_url,
        live_sso.secret_key,
        live_sso.log_dir / "other",
        extra_env=live_sso.extra_env,
    )
    other.log_dir.mkdir(exist_ok=True)
    assert other.public_url("blog") != live_sso.public_url("blog")
    other.start("federation")
    try:
        log = (other.log_dir / "federation.log").read_text()
        assert "first-party OAuth client 'blog' is registered for" in log
        assert "left as it is" in log
    finally:
        other.stop()

    member = sign_up(live_sso, "twoplatforms")
    with httpx.Client(base_url=live_sso.internal_url("blog"), timeout=10) as blog:
        start = blog.get("/auth/login")
        authorized = member.browser.get(to_internal(live_sso, start.headers["location"]))
        assert authorized.status_code == 302, authorized.text
        back = authorized.headers["location"]
        assert back.startswith(live_sso.public_url("blog") + "/auth/callback?")
        assert blog.get(to_internal(live_sso, back)).status_code == 302
        assert member.display_name in blog.get("/").text
    member.browser.close()
