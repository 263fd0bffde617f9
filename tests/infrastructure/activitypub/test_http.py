"""Outgoing requests are safe: internal addresses refused unless allowed, bodies capped,
redirects limited and re-checked; and a rotated remote key is fetched again once."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.infrastructure.activitypub.http import (
    AddressGuard,
    BlockedAddressError,
    FederationClient,
    FetchError,
    GuardedResolver,
    Signer,
    parse_networks,
)
from shared.infrastructure.activitypub.keys import generate_keypair
from shared.infrastructure.activitypub.signatures import sign_request
from shared.infrastructure.config import ActivityPubSettings, Settings
from shared.models.activitypub import Activity, Actor
from tests.conftest import AppFactory
from tests.support.activitypub.standin import StandInServer

LOOPBACK = ActivityPubSettings(fetch_allow_networks="127.0.0.0/8", fetch_max_redirects=2)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/x",
        "http://10.1.2.3/x",
        "http://192.168.0.1/x",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/x",
        "http://[fd00::1]/x",
        "http://0.0.0.0/x",
        "http://localhost/x",
        "ftp://example.com/x",
    ],
)
async def test_internal_addresses_are_refused_by_default(url: str) -> None:
    with pytest.raises(BlockedAddressError):
        await AddressGuard(()).check(url)


async def test_the_allowlist_opens_only_what_it_names() -> None:
    guard = AddressGuard(parse_networks("127.0.0.0/8"))
    await guard.check("http://127.0.0.5:8000/x")
    with pytest.raises(BlockedAddressError):
        await guard.check("http://10.0.0.1/x")
    await AddressGuard(()).check("http://93.184.215.14/x")  # a public address is fine


async def test_the_connection_refuses_internal_answers_whatever_the_check_saw() -> None:
    # The connector resolves through the guard too, so a name whose DNS answer
    # changes between the check and the connection (rebinding) cannot get in.
    with pytest.raises(BlockedAddressError, match="localhost resolves to internal"):
        await GuardedResolver(AddressGuard(())).resolve("localhost", 80)
    allowed = GuardedResolver(AddressGuard(parse_networks("127.0.0.0/8, ::1/128")))
    [first, *_] = await allowed.resolve("localhost", 80)
    assert first["host"] in ("127.0.0.1", "::1")
    await allowed.close()


@pytest.fixture
async def tricky() -> AsyncIterator[str]:
    """A loopback server with a big body and redirect chains."""

    async def big(_request: web.Request) -> web.Response:
        return web.Response(
            body=b"x" * (LOOPBACK.fetch_max_bytes + 1), content_type="application/json"
        )

    async def hop(request: web.Request) -> web.Response:
        left = int(request.match_info["left"])
        target = "/doc" if left == 0 else f"/hop/{left - 1}"
        raise web.HTTPFound(target)

    async def doc(request: web.Request) -> web.Response:
        signed = "signature" in {name.lower() for name in request.headers}
        return web.json_response(
            {"id": str(request.url), "signed": signed}, content_type="application/activity+json"
        )

    async def private(_request: web.Request) -> web.Response:
        raise web.HTTPFound("http://10.0.0.1/secret")

    app = web.Application()
    app.router.add_get("/big", big)
    app.router.add_get("/hop/{left}", hop)
    app.router.add_get("/doc", doc)
    app.router.add_get("/private", private)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.60", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield f"http://127.0.0.60:{port}"
    await runner.cleanup()


async def test_a_body_over_the_limit_is_refused(tricky: str) -> None:
    client = FederationClient(LOOPBACK)
    try:
        with pytest.raises(FetchError, match="larger than"):
            await client.get_json(f"{tricky}/big", None)
    finally:
        await client.aclose()


async def test_redirects_are_followed_signed_up_to_the_limit_and_rechecked(tricky: str) -> None:
    client = FederationClient(LOOPBACK)
    signer = Signer("https://x.example/actor#main-key", generate_keypair().private_key)
    try:
        assert (await client.get_json(f"{tricky}/hop/1", signer))["signed"] is True
        with pytest.raises(FetchError, match="more than 2 redirects"):
            await client.get_json(f"{tricky}/hop/2", signer)
        with pytest.raises(BlockedAddressError):
            await client.get_json(f"{tricky}/private", None)
    finally:
        await client.aclose()


async def test_a_rotated_key_is_fetched_again_once_and_the_request_accepted(
    make_app: AppFactory, ap_settings: Settings, db: AsyncSession
) -> None:
    server = await StandInServer("127.0.0.61", verify=False).start()
    try:
        old, new = generate_keypair(), generate_keypair()
        carol = server.add_actor("carol", new)  # the server now publishes the new key
        db.add(
            Actor(
                ap_id=carol.id,
                kind="remote",
                type="Person",
                preferred_username="carol",
                domain=carol.id.split("/")[2],
                inbox_url=carol.inbox,
                key_id=carol.key_id,
                public_key_pem=old.public_pem,
            )
        )
        await db.flush()
        app = await make_app("blog", app_settings=ap_settings)
        base = ap_settings.apps["blog"].base_url
        body = json.dumps(
            {"id": f"{carol.id}/likes/1", "type": "Like", "actor": carol.id, "object": f"{base}/x"}
        ).encode()
        url = f"{base}/inbox"
        headers = sign_request(
            "POST", url, key_id=carol.key_id, private_key=new.private_key, body=body
        )
        response = await app.test_client().post("/inbox", data=body, headers=headers)
        assert response.status_code == 202, await response.get_data(as_text=True)
        stored = await db.scalar(
            select(Actor).where(Actor.ap_id == carol.id).execution_options(populate_existing=True)
        )
        assert stored is not None and stored.public_key_pem == new.public_pem
    finally:
        await server.stop()


async def test_a_gone_actor_deleting_itself_is_accepted_and_nothing_else_is(
    make_app: AppFactory, ap_settings: Settings, db: AsyncSession
) -> None:
    # The stand-in knows no "gone": its actor document answers 404, as after a deletion.
    server = await StandInServer("127.0.0.62", verify=False).start()
    try:
        gone = f"{server.base_url}/users/gone"
        key = generate_keypair()
        app = await make_app("blog", app_settings=ap_settings)
        url = f"{ap_settings.apps['blog'].base_url}/inbox"

        async def post(activity: dict[str, object]) -> int:
            body = json.dumps(activity).encode()
            headers = sign_request(
                "POST", url, key_id=f"{gone}#main-key", private_key=key.private_key, body=body
            )
            response = await app.test_client().post("/inbox", data=body, headers=headers)
            return response.status_code

        delete = {"id": f"{gone}#delete", "type": "Delete", "actor": gone, "object": gone}
        assert await post(delete) == 202
        like = {"id": f"{gone}/likes/1", "type": "Like", "actor": gone, "object": url}
        assert await post(like) == 401
        assert await db.scalar(select(func.count(Activity.id))) == 0
    finally:
        await server.stop()


async def test_an_actor_forged_through_an_open_redirect_on_its_host_is_refused(
    make_app: AppFactory, ap_settings: Settings, db: AsyncSession
) -> None:
    # The victim's host has an open redirect; the attacker's host answers with an actor
    # whose id (and key id) is the victim's redirecting URL. Checked against the URL we
    # asked, it looked like the victim's own actor (Mastodon's CVE-2024-23832).
    victim = await StandInServer("127.0.0.21", verify=False).start()
    attacker = await StandInServer("127.0.0.22", verify=False).start()
    try:
        key = generate_keypair()
        forged_path = "/documents/forged"
        actor_id = f"{victim.base_url}/redirect?to={attacker.base_url}{forged_path}"
        attacker.documents[forged_path] = {
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": actor_id,
            "type": "Person",
            "preferredUsername": "forged",
            "inbox": f"{attacker.base_url}/inbox",
            "publicKey": {
                "id": f"{actor_id}#main-key",
                "owner": actor_id,
                "publicKeyPem": key.public_pem,
            },
        }
        app = await make_app("blog", app_settings=ap_settings)
        url = f"{ap_settings.apps['blog'].base_url}/inbox"
        activity = {
            "id": f"{victim.base_url}/likes/1",
            "type": "Like",
            "actor": actor_id,
            "object": f"{url}/x",
        }
        body = json.dumps(activity).encode()
        headers = sign_request(
            "POST", url, key_id=f"{actor_id}#main-key", private_key=key.private_key, body=body
        )
        response = await app.test_client().post("/inbox", data=body, headers=headers)
        assert response.status_code == 401, await response.get_data(as_text=True)
        assert "claiming the id" in (await response.get_json())["error"]
        assert await db.scalar(select(func.count(Actor.id)).where(Actor.ap_id == actor_id)) == 0
        assert await db.scalar(select(func.count(Activity.id))) == 0
    finally:
        await attacker.stop()
        await victim.stop()
