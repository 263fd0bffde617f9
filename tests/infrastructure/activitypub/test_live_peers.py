"""Independent peers over real HTTP on loopback: bovine signs to our inbox, and verifies
what we send; http-message-signatures signs RFC 9421 to our inbox, and verifies what we
send to a server that speaks only RFC 9421."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from bovine import BovineActor
from bovine.clients.signed_http import legacy_digest_method
from bovine.clients.utils import host_target_from_url
from bovine.crypto.http_signature import build_signature
from bovine.crypto.types import CryptographicSecret
from bovine.utils import get_gmt_now
from http_message_signatures import HTTPMessageSigner, HTTPSignatureKeyResolver, algorithms
from http_message_signatures.structures import CaseInsensitiveDict
from sqlalchemy.dialects.postgresql import insert

from shared.infrastructure.activitypub.actors import app_actor
from shared.infrastructure.activitypub.http import FederationClient
from shared.infrastructure.activitypub.keys import KeyPair, generate_keypair
from shared.infrastructure.activitypub.remote import RemoteActors
from shared.infrastructure.config import Settings
from shared.models.activitypub import Follow
from shared.services.registry import wire_services
from tests.support.activitypub.live import Workers, committed, settings_for
from tests.support.activitypub.standin import StandInActor, StandInServer, eventually
from tests.support.factories import make_post
from tests.support.live import LivePlatform

pytestmark = pytest.mark.slow
AS_JSON = "application/activity+json"


@pytest.fixture(scope="module")
async def peer() -> AsyncIterator[StandInServer]:
    server = await StandInServer("127.0.0.40", require_signed_get=True).start()
    yield server
    await server.stop()


@pytest.fixture(scope="module")
async def rfc9421_peer() -> AsyncIterator[StandInServer]:
    server = await StandInServer("127.0.0.41", rfc9421_only=True).start()
    yield server
    await server.stop()


@pytest.fixture(scope="module")
def alice(peer: StandInServer) -> StandInActor:
    return peer.add_actor("alice", generate_keypair())


def blog_inbox(live: LivePlatform) -> str:
    return f"{live.public_url('blog')}/actor/inbox"


def bovine_headers(url: str, body: bytes, actor: StandInActor, **change: str) -> dict[str, str]:
    """Headers exactly as bovine's signed_post makes them (its own helpers), then changed."""
    host, target = host_target_from_url(url)
    date = change.pop("date", get_gmt_now())
    _, digest = legacy_digest_method(body)
    signature = (
        build_signature(host, "post", target)
        .with_field("date", date)
        .with_field("digest", digest)
        .with_field("content-type", AS_JSON)
    )
    key = change.pop("key", None)
    secret = CryptographicSecret(actor.key_id, (key or actor.key).private_key)
    headers = {
        "host": host,
        "date": date,
        "digest": digest,
        "content-type": AS_JSON,
        "signature": signature.sign_for_http_draft(secret),
    }
    return {**headers, **change}


async def test_bovine_follows_the_blog_and_verifies_our_accept(
    platform: tuple[LivePlatform, Workers], peer: StandInServer, alice: StandInActor
) -> None:
    live, workers = platform
    blog_actor = f"{live.public_url('blog')}/actor"
    follow = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{alice.id}/follows/1",
        "type": "Follow",
        "actor": alice.id,
        "object": blog_actor,
    }
    async with BovineActor(
        actor_id=alice.id, public_key_url=alice.key_id, secret=alice.key.private_pem
    ) as bovine:
        response = await bovine.post(blog_inbox(live), follow)
        # Read, so aiohttp gives the connection back before bovine's session closes (an
        # unread one is left to the garbage collector, whose warning fails a later test).
        await response.read()
        assert response.status == 202
    # Our instance actor fetched alice's key with a GET that bovine verified.
    assert f"{live.public_url('federation')}/instance" in peer.signed_gets
    accepted = await eventually(
        lambda: [r for r in peer.received if r.activity["type"] == "Accept"],
        what=lambda: f"an Accept at alice's inbox; worker:\n{workers.logs()}",
    )
    accept = accepted[0]
    assert accept.verified_by == "bovine"
    assert accept.signer == blog_actor
    assert accept.activity["actor"] == blog_actor
    assert accept.activity["object"]["id"] == follow["id"]
    assert accept.activity["object"]["actor"] == alice.id


@pytest.mark.parametrize("tamper", ["none", "body", "digest", "date", "key"])
async def test_bovine_signatures_are_checked_to_the_letter(
    platform: tuple[LivePlatform, Workers], alice: StandInActor, tamper: str
) -> None:
    live, _ = platform
    url = blog_inbox(live)
    activity = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{alice.id}/likes/{tamper}",
        "type": "Like",
        "actor": alice.id,
        "object": f"{live.public_url('blog')}/objects/nothing",
    }
    body = json.dumps(activity).encode()
    changes: dict[str, Any] = {
        "none": {},
        "body": {},
        "digest": {"digest": legacy_digest_method(b"something else")[1]},
        "date": {"date": "Sun, 01 Nov 2026 10:00:00 GMT"},
        "key": {"key": generate_keypair()},
    }[tamper]
    headers = bovine_headers(url, body, alice, **changes)
    if tamper == "body":
        body = body.replace(b"Like", b"Flag")
    async with httpx.AsyncClient() as client:
        response = await client.post(url, content=body, headers=headers)
    assert response.status_code == (202 if tamper == "none" else 401), response.text


class _Keys(HTTPSignatureKeyResolver):
    def __init__(self, key: KeyPair) -> None:
        self.key = key

    def resolve_private_key(self, key_id: str):  # type: ignore[no-untyped-def]
        return self.key.private_key

    def resolve_public_key(self, key_id: str):  # type: ignore[no-untyped-def]
        raise NotImplementedError


class _Message:
    def __init__(self, url: str, headers: dict[str, str]) -> None:
        self.method, self.url, self.headers = "POST", url, CaseInsensitiveDict(headers)


async def test_an_rfc9421_post_from_http_message_signatures_is_accepted(
    platform: tuple[LivePlatform, Workers], alice: StandInActor
) -> None:
    live, _ = platform
    url = f"{live.public_url('blog')}/inbox"
    activity = {
        "id": f"{alice.id}/announces/1",
        "type": "Announce",
        "actor": alice.id,
        "object": f"{live.public_url('blog')}/objects/nothing",
    }
    body = json.dumps(activity).encode()
    message = _Message(url, {"Content-Type": AS_JSON})
    signer = HTTPMessageSigner(
        signature_algorithm=algorithms.RSA_V1_5_SHA256, key_resolver=_Keys(alice.key)
    )
    signer.sign(
        message,
        key_id=alice.key_id,
        label="sig1",
        covered_component_ids=("@method", "@target-uri", "content-type"),
        body=body,
    )
    async with httpx.AsyncClient() as client:
        accepted = await client.post(url, content=body, headers=dict(message.headers.items()))
        assert accepted.status_code == 202, accepted.text
        forged = dict(message.headers.items())
        forged["Content-Digest"] = "sha-256=:" + "A" * 43 + "=:"
        refused = await client.post(url, content=body, headers=forged)
        assert refused.status_code == 401


async def test_a_published_post_verifies_with_bovine_and_with_http_message_signatures(
    platform: tuple[LivePlatform, Workers],
    peer: StandInServer,
    rfc9421_peer: StandInServer,
    alice: StandInActor,
) -> None:
    live, workers = platform
    bob = rfc9421_peer.add_actor("bob", generate_keypair())
    settings: Settings = settings_for(live.env())
    async with committed(settings) as session:
        blog = await app_actor(session, settings, "blog")
        client = FederationClient(settings.activitypub)
        try:
            remote = RemoteActors(session, settings, client)
            for actor in (alice, bob):  # alice may follow already (the first test)
                follower = await remote.actor(actor.id)
                await session.execute(
                    insert(Follow)
                    .values(follower_id=follower.id, following_id=blog.id, status="accepted")
                    .on_conflict_do_nothing()
                )
        finally:
            await client.aclose()
        post = await make_post(
            session, "Federated, twice verified", status="draft", html="<p>Checked twice.</p>"
        )
        await wire_services(settings).blog.publish_post(session, post.id)

    def creates(server: StandInServer) -> list[Any]:
        return [r for r in server.received if r.activity["type"] == "Create"]

    await eventually(
        lambda: creates(peer) and creates(rfc9421_peer),
        what=lambda: f"both Creates; worker:\n{workers.logs()}",
    )
    [by_bovine], [by_hms] = creates(peer), creates(rfc9421_peer)
    assert by_bovine.verified_by == "bovine"
    assert by_hms.verified_by == "http-message-signatures"  # after our cavage got a 401
    article = by_hms.activity["object"]
    assert article["summary"] and article["url"].startswith(live.public_url("blog"))
