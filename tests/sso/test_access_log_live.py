"""What the live apps write to their logs: paths, never the secrets of a request.

A real sign-in (OAuth code and state), a real sign-out (`id_token_hint`), a
real password reset and email verification (mailed tokens) go through the
six Hypercorn processes; then no log line of any app holds one of them.
"""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from shared.dev.smtp import SmtpStandIn
from tests.sso.conftest import csrf_of, sign_up, to_internal
from tests.support.live import LivePlatform

pytestmark = pytest.mark.slow


def query_of(location: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def test_no_log_line_holds_a_reset_token_code_or_id_token_hint(
    live_sso: LivePlatform, smtp: SmtpStandIn
) -> None:
    member = sign_up(live_sso, "logwatcher")
    try:  # the client has sent requests already, so it is closed, not entered
        _exercise_and_check(live_sso, smtp, member.email, member.display_name, member.browser)
    finally:
        member.browser.close()


def _exercise_and_check(
    live_sso: LivePlatform, smtp: SmtpStandIn, email: str, display_name: str, fed: httpx.Client
) -> None:
    secrets: dict[str, str] = {}

    welcome = smtp.wait_for(to=email, subject="Confirm your email address")
    (verify_link,) = {link for link in welcome.links() if "/email/verify" in link}
    secrets["verification token"] = query_of(verify_link)["token"]
    assert fed.get(to_internal(live_sso, verify_link)).status_code == 200

    with httpx.Client(base_url=live_sso.internal_url("blog"), timeout=10) as blog:
        start = blog.get("/auth/login")
        back = fed.get(to_internal(live_sso, start.headers["location"])).headers["location"]
        secrets["code"] = query_of(back)["code"]
        secrets["state"] = query_of(back)["state"]
        assert blog.get(to_internal(live_sso, back)).status_code == 302
        home = blog.get("/")
        assert display_name in home.text
        out = blog.post("/auth/logout", data={"csrf_token": csrf_of(home.text)})
        end_session = out.headers["location"]
        secrets["id_token_hint"] = query_of(end_session)["id_token_hint"]
        fed.get(to_internal(live_sso, end_session))

    forgot = fed.get("/password/forgot")
    fed.post("/password/forgot", data={"csrf_token": csrf_of(forgot.text), "email": email})
    reset = smtp.wait_for(to=email, subject="Reset your password")
    (reset_link,) = {link for link in reset.links() if "/password/reset" in link}
    secrets["reset token"] = query_of(reset_link)["token"]
    page = fed.get(to_internal(live_sso, reset_link))
    assert page.status_code == 200 and page.headers["referrer-policy"] == "no-referrer"

    time.sleep(0.5)  # let the last access log lines reach the files
    logs = {path.name: path.read_text() for path in live_sso.log_dir.glob("*.log")}
    everything = "\n".join(logs.values())
    assert '"GET /password/reset HTTP/1.1" 200' in logs["federation.log"]  # the log is on
    assert '"GET /auth/callback HTTP/1.1" 302' in logs["blog.log"]
    for name, value in secrets.items():
        assert value not in everything, f"the {name} is in a log"
