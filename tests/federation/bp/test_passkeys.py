"""Passkey endpoints refuse bad input with a JSON message, never a 500: no JSON, an
expired or reused ceremony, an answer that is not a passkey, an unknown credential."""

from __future__ import annotations

import base64
import json

from quart.typing import TestClientProtocol as Client

from tests.conftest import AppFactory
from tests.federation.conftest import csrf


async def post_json(client: Client, path: str, body: object) -> tuple[int, dict[str, str]]:
    token = await csrf(client, "/signin")
    response = await client.post(
        path,
        data=json.dumps(body),
        headers={"Content-Type": "application/json", "X-CSRF-Token": token},
    )
    text = await response.get_data(as_text=True)
    return response.status_code, json.loads(text) if text.startswith("{") else {"page": text}


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


async def test_signing_in_offers_a_challenge_for_any_passkey(make_app: AppFactory) -> None:
    client = (await make_app("federation")).test_client()

    status, started = await post_json(client, "/signin/passkey/options", {})

    options = started["options"]
    assert status == 200 and started["handle"]
    assert options["rpId"] == "localhost" or options["rpId"].endswith("localhost")  # type: ignore[index]
    assert options["allowCredentials"] == []  # type: ignore[index]


async def test_a_reused_ceremony_is_refused(make_app: AppFactory) -> None:
    client = (await make_app("federation")).test_client()
    _, started = await post_json(client, "/signin/passkey/options", {})
    answer = {"handle": started["handle"], "credential": {"id": "x"}}

    first = await post_json(client, "/signin/passkey", answer)
    second = await post_json(client, "/signin/passkey", answer)

    assert first[0] == 400 and "not a passkey answer" in first[1]["error"]
    assert second == (400, {"error": "That passkey request expired. Try again."})


async def test_an_unknown_credential_is_refused(make_app: AppFactory) -> None:
    client = (await make_app("federation")).test_client()
    _, started = await post_json(client, "/signin/passkey/options", {})
    credential = {
        "id": b64(b"unknown-credential"),
        "rawId": b64(b"unknown-credential"),
        "type": "public-key",
        "response": {
            "clientDataJSON": b64(b"{}"),
            "authenticatorData": b64(b"\x00" * 37),
            "signature": b64(b"\x00"),
        },
    }

    status, body = await post_json(
        client, "/signin/passkey", {"handle": started["handle"], "credential": credential}
    )

    assert (status, body["error"]) == (400, "That passkey is not registered here.")


async def test_a_body_that_is_not_json_is_refused(make_app: AppFactory) -> None:
    client = (await make_app("federation")).test_client()

    status, body = await post_json(client, "/signin/passkey", ["not", "an", "object"])

    assert status == 400 and "Send a JSON object" in body["page"]
