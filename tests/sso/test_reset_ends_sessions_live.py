"""A password reset ends the member's session in every app, including one that was
down when the reset happened (its back-channel logout never arrived)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from shared.dev.smtp import SmtpStandIn
from tests.sso.conftest import csrf_of, sign_up, to_internal
from tests.support.live import LivePlatform

pytestmark = pytest.mark.slow


def sign_in_to(live: LivePlatform, app: str, federation: httpx.Client) -> httpx.Client:
    client = httpx.Client(base_url=live.internal_url(app), timeout=10)
    start = client.get("/auth/login")
    back = federation.get(to_internal(live, start.headers["location"])).headers["location"]
    assert client.get(to_internal(live, back)).status_code == 302
    return client


def test_a_reset_while_an_app_is_down_ends_its_session_once_it_is_back(
    live_sso: LivePlatform, smtp: SmtpStandIn
) -> None:
    member = sign_up(live_sso, "resetwhiledown")
    fed = member.browser
    market = sign_in_to(live_sso, "market", fed)
    blog = sign_in_to(live_sso, "blog", fed)
    assert member.display_name in market.get("/").text
    assert member.display_name in blog.get("/").text

    live_sso.stop_app("market")
    try:
        forgot = fed.get("/password/forgot")
        fed.post(
            "/password/forgot", data={"csrf_token": csrf_of(forgot.text), "email": member.email}
        )
        mail = smtp.wait_for(to=member.email, subject="Reset your password")
        (link,) = {link for link in mail.links() if "/password/reset" in link}
        (token,) = parse_qs(urlsplit(link).query)["token"]
        page = fed.get(to_internal(live_sso, link))
        done = fed.post(
            "/password/reset",
            data={"csrf_token": csrf_of(page.text), "token": token, "password": "brand new pw!"},
        )
        assert done.status_code == 200 and "signed out" in done.text
    finally:
        live_sso.start("market")

    assert member.display_name not in blog.get("/").text  # told by back-channel logout
    assert member.display_name not in market.get("/").text  # was down: ends on its next look
    market.close()
    blog.close()
    fed.close()
