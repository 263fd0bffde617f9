"""Pending sign-ins are bounded: what one stores, and how many one address may start."""

from __future__ import annotations

import json

from redis.asyncio import Redis

from shared.infrastructure.oauth import PENDING_LOGINS_PER_ADDRESS
from shared.infrastructure.redirects import MAX_NEXT_LENGTH
from tests.conftest import AppFactory


async def test_a_long_next_is_not_stored(make_app: AppFactory, redis: Redis) -> None:
    client = (await make_app("blog")).test_client()
    response = await client.get("/auth/login?next=/" + "a" * 2048)
    assert response.status_code == 302
    (key,) = [k async for k in redis.scan_iter("ra:sess:blog:login:*")]
    stored = await redis.get(key)
    assert stored is not None and len(stored) < 1024
    assert json.loads(stored)["next_path"] == "/"
    assert MAX_NEXT_LENGTH <= 512


async def test_one_address_may_start_only_so_many_sign_ins(
    make_app: AppFactory, redis: Redis
) -> None:
    client = (await make_app("blog")).test_client()
    here = {"client": ("203.0.113.77", 5000)}
    for _ in range(PENDING_LOGINS_PER_ADDRESS.hits):
        assert (await client.get("/auth/login", scope_base=here)).status_code == 302
    refused = await client.get("/auth/login", scope_base=here)
    assert refused.status_code == 429
    elsewhere = await client.get("/auth/login", scope_base={"client": ("203.0.113.78", 5000)})
    assert elsewhere.status_code == 302
    pending = [k async for k in redis.scan_iter("ra:sess:blog:login:*")]
    assert len(pending) == PENDING_LOGINS_PER_ADDRESS.hits + 1
