"""In headless Chromium: a `make dev` user renames a post on the Ghost stand-in's page,
and the webhook Ghost would send arrives, signed, at the subscribed URL."""

from __future__ import annotations

import json

import pytest

from shared.dev.ghost import GhostStandIn
from shared.dev.sumup import wait_until
from shared.infrastructure.ghost import verify_signature
from tests.dev.conftest import Receiver
from tests.sso.test_browser_sso import chromium

pytestmark = pytest.mark.slow


async def test_renaming_a_post_on_the_page_sends_its_webhook(receiver: Receiver) -> None:
    with GhostStandIn(posts=5, webhook_delays=(0.1,)) as ghost:
        ghost.subscribe("post.published.edited", f"{receiver.url}/edited")
        post = ghost.posts()[0]
        async with chromium() as (_context, page):
            await page.set_viewport_size({"width": 320, "height": 640})
            await page.goto(f"{ghost.url}/_standin/")
            field = page.get_by_label(f"Title of {post['slug']}")
            await field.fill("Renamed in the stand-in")
            await field.press("Enter")
            await page.wait_for_url(f"{ghost.url}/_standin/")
            assert await page.get_by_label(f"Title of {post['slug']}").input_value() == (
                "Renamed in the stand-in"
            )
            assert wait_until(lambda: len(receiver.got) == 1, timeout=10)
            await page.reload()
            assert await page.get_by_text(f"{receiver.url}/edited: 200").count() == 1
        _path, headers, body = receiver.got[0]
        verify_signature(ghost.webhook_secret, body, headers["X-Ghost-Signature"])
        assert json.loads(body)["post"]["current"]["title"] == "Renamed in the stand-in"
