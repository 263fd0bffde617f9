"""Inboxes verify before they store: a valid signature gets 202 and one stored row per
recipient; anything wrong gets 401 and nothing is stored."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from quart import Quart
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.infrastructure.activitypub.context import ap_runtime
from shared.infrastructure.activitypub.keys import generate_keypair
from shared.infrastructure.activitypub.limits import RateLimiter
from shared.infrastructure.activitypub.receiving import MAX_INBOX_BYTES
from shared.infrastructure.activitypub.signatures import http_date, sign_request
from shared.infrastructure.config import Settings
from shared.models.activitypub import Activity
from tests.conftest import AppFactory
from tests.support.activitypub.fixtures import MakePeer, RemotePeer


@pytest.fixture
async def blog(make_app: AppFactory, ap_settings: Settings) -> Quart:
    return await make_app("blog", app_settings=ap_settings)


def signed(url: str, body: bytes, peer: RemotePeer, **overrides: Any) -> dict[str, str]:
    return sign_request(
        "POST",
        url,
        key_id=peer.actor.key_id or "",
        private_key=peer.key.private_key,
        body=body,
        **overrides,
    )


async def post(client: Any, url: str, body: bytes, headers: dict[str, str]) -> Any:
    path = url.split("/", 3)[3]
    return await client.post(f"/{path}", data=body, headers=headers)


async def stored(db: AsyncSession) -> int:
    return int(
        await db.scalar(select(func.count(Activity.id)).where(Activity.direction == "inbound")) or 0
    )


async def test_a_signed_follow_is_accepted_and_stored_once_per_recipient(
    blog: Quart, db: AsyncSession, make_peer: MakePeer, ap_settings: Settings
) -> None:
    peer = await make_peer()
    base = ap_settings.apps["blog"].base_url
    body = json.dumps(peer.activity("Follow", f"{base}/actor")).encode()
    client = blog.test_client()
    for url in (f"{base}/actor/inbox", f"{base}/actor/inbox", f"{base}/inbox"):
        response = await post(client, url, body, signed(url, body, peer))
        assert response.status_code == 202, await response.get_data(as_text=True)
    rows = list(await db.scalars(select(Activity).where(Activity.direction == "inbound")))
    # The personal inbox's copy once (the redelivery is a no-op), the shared inbox's once.
    assert sorted(row.recipient_id is None for row in rows) == [False, True]
    assert {row.status for row in rows} == {"pending"}


@pytest.mark.parametrize(
    "tamper",
    ["body", "digest", "date", "key", "unsigned", "signature", "actor"],
)
async def test_a_tampered_or_unsigned_request_gets_401_and_nothing_is_stored(
    blog: Quart, db: AsyncSession, make_peer: MakePeer, ap_settings: Settings, tamper: str
) -> None:
    peer = await make_peer()
    base = ap_settings.apps["blog"].base_url
    url = f"{base}/actor/inbox"
    activity = peer.activity("Like", f"{base}/objects/x")
    body = json.dumps(activity).encode()
    headers = signed(url, body, peer)
    if tamper == "body":
        body = body.replace(b"Like", b"Announce")
    elif tamper == "digest":
        headers["Digest"] = "SHA-256=" + "A" * 43 + "="
    elif tamper == "date":
        three_hours_ago = time.time() - 3 * 3600
        headers = signed(url, body, peer, now=three_hours_ago)
        assert headers["Date"] == http_date(three_hours_ago)
    elif tamper == "key":
        other = generate_keypair()
        headers = sign_request(
            "POST", url, key_id=peer.actor.key_id or "", private_key=other.private_key, body=body
        )
    elif tamper == "unsigned":
        del headers["Signature"]
    elif tamper == "signature":
        headers["Signature"] = headers["Signature"].replace(
            'headers="(request-target) host date digest content-type"',
            'headers="(request-target) host date content-type"',
        )
    elif tamper == "actor":
        someone = await make_peer()
        body = json.dumps({**activity, "actor": someone.actor.ap_id}).encode()
        headers = signed(url, body, peer)
    response = await post(blog.test_client(), url, body, headers)
    assert response.status_code == 401, await response.get_data(as_text=True)
    assert "error" in await response.get_json()
    assert await stored(db) == 0


async def test_a_body_that_is_not_an_activity_is_400(
    blog: Quart, make_peer: MakePeer, ap_settings: Settings
) -> None:
    peer = await make_peer()
    url = f"{ap_settings.apps['blog'].base_url}/inbox"
    body = json.dumps({"hello": "world", "actor": peer.actor.ap_id}).encode()
    response = await post(blog.test_client(), url, body, signed(url, body, peer))
    assert response.status_code == 400


async def test_the_signature_may_drop_the_query_from_the_target(
    blog: Quart, db: AsyncSession, make_peer: MakePeer, ap_settings: Settings
) -> None:
    # Misskey and older Mastodon sign (request-target) without the query string.
    peer = await make_peer()
    base = ap_settings.apps["blog"].base_url
    body = json.dumps(peer.activity("Like", f"{base}/objects/x")).encode()
    headers = signed(f"{base}/inbox", body, peer)
    response = await blog.test_client().post("/inbox?via=relay", data=body, headers=headers)
    assert response.status_code == 202
    assert await stored(db) == 1


async def test_an_activity_id_on_another_host_is_refused_so_it_cannot_pre_empt_the_real_one(
    blog: Quart, db: AsyncSession, make_peer: MakePeer, ap_settings: Settings
) -> None:
    victim = await make_peer(domain="victim.example")
    mallory = await make_peer(domain="mallory.example")
    url = f"{ap_settings.apps['blog'].base_url}/inbox"
    note = f"{victim.actor.ap_id}/statuses/1"
    delete_id = f"{note}#delete"
    forged = {**mallory.activity("Delete", note), "id": delete_id}
    body = json.dumps(forged).encode()
    response = await post(blog.test_client(), url, body, signed(url, body, mallory))
    assert response.status_code == 400
    assert "not on its actor's host" in (await response.get_json())["error"]
    real = {**victim.activity("Delete", note), "id": delete_id}
    body = json.dumps(real).encode()
    response = await post(blog.test_client(), url, body, signed(url, body, victim))
    assert response.status_code == 202
    row = await db.scalar(select(Activity).where(Activity.ap_id == delete_id))
    assert row is not None and row.actor_id == victim.actor.id


@pytest.mark.parametrize(
    ("extra", "error"),
    [
        (b'"a\\u0000b"', "NUL"),
        (b'"a\\ud800b"', "surrogate"),
        (b"1e999", "not JSON"),
        (b"NaN", "not JSON"),
        (b"1" + b"0" * 5000, "not JSON"),
        (b"[" * 5000 + b"]" * 5000, "not JSON"),
        (b'{"a":' * 100 + b"1" + b"}" * 100, "nested"),
        (b'"\xff\xfe"', "not JSON"),
    ],
    ids=["nul", "surrogate", "infinity", "nan", "huge-int", "deep-list", "deep-object", "utf8"],
)
async def test_a_signed_activity_postgresql_cannot_store_is_400_not_500(
    blog: Quart,
    db: AsyncSession,
    make_peer: MakePeer,
    ap_settings: Settings,
    extra: bytes,
    error: str,
) -> None:
    peer = await make_peer()
    url = f"{ap_settings.apps['blog'].base_url}/inbox"
    # A well-formed activity of the signer's own, with one bad member.
    body = json.dumps(peer.activity("Like", "x")).encode()[:-1] + b', "extra": ' + extra + b"}"
    response = await post(blog.test_client(), url, body, signed(url, body, peer))
    assert response.status_code == 400, await response.get_data(as_text=True)
    assert error in (await response.get_json())["error"]
    assert await stored(db) == 0


async def test_an_oversized_body_is_refused_by_its_content_length(
    blog: Quart, make_peer: MakePeer, ap_settings: Settings
) -> None:
    peer = await make_peer()
    url = f"{ap_settings.apps['blog'].base_url}/inbox"
    body = json.dumps(peer.activity("Like", "x", padding="x" * MAX_INBOX_BYTES)).encode()
    response = await post(blog.test_client(), url, body, signed(url, body, peer))
    assert response.status_code == 413


async def test_a_source_over_its_rate_gets_429_with_retry_after(
    blog: Quart, make_peer: MakePeer, ap_settings: Settings
) -> None:
    ap_runtime(blog).client.limits.per_source = RateLimiter(3)
    peer = await make_peer()
    url = f"{ap_settings.apps['blog'].base_url}/inbox"
    client = blog.test_client()
    statuses = []
    for _ in range(5):
        body = json.dumps(peer.activity("Like", "x")).encode()
        response = await post(client, url, body, signed(url, body, peer))
        statuses.append(response.status_code)
    assert statuses == [202, 202, 202, 429, 429]
    assert 1 <= int(response.headers["Retry-After"]) <= 20


async def test_a_key_host_over_its_rate_gets_429(
    blog: Quart, make_peer: MakePeer, ap_settings: Settings
) -> None:
    ap_runtime(blog).client.limits.per_key_host = RateLimiter(2)
    url = f"{ap_settings.apps['blog'].base_url}/inbox"
    client = blog.test_client()
    statuses = []
    for _ in range(3):  # three accounts of one host: the host's budget, not each account's
        peer = await make_peer()
        body = json.dumps(peer.activity("Like", "x")).encode()
        statuses.append((await post(client, url, body, signed(url, body, peer))).status_code)
    assert statuses == [202, 202, 429]
