"""The instance documents Mastodon clients read first, and the API's answer to a call
without a token."""

from __future__ import annotations

from quart import Quart


async def test_instance_v1_and_v2_say_what_a_client_needs(federation: Quart) -> None:
    client = federation.test_client()
    v1 = await (await client.get("/api/v1/instance")).get_json()
    assert v1["version"].startswith("4.3.0")
    assert v1["configuration"]["statuses"]["max_characters"] == 500
    v2 = await (await client.get("/api/v2/instance")).get_json()
    assert v2["api_versions"] == {"mastodon": 2} and v2["domain"]


async def test_a_call_without_a_token_is_401_json(federation: Quart) -> None:
    response = await federation.test_client().get("/api/v1/timelines/home")
    assert response.status_code == 401
    assert await response.get_json() == {"error": "The access token is invalid"}
    response = await federation.test_client().get("/api/v1/statuses/999999")
    assert response.status_code == 404 and (await response.get_json())["error"]
