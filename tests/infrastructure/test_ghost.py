"""Our Ghost client against the Ghost stand-in over real HTTP, and Ghost's webhook signature."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import OctKey

from shared.dev.ghost import GhostStandIn
from shared.infrastructure.config import ConfigError, load_settings
from shared.infrastructure.ghost import (
    BadSignature,
    GhostClient,
    GhostError,
    GhostUnavailable,
    admin_token,
    sign,
    verify_signature,
)


@pytest.fixture(scope="module")
def ghost() -> Iterator[GhostStandIn]:
    with GhostStandIn(posts=250, pages=3, drafts=4) as running:
        running.webhooks_enabled = False
        yield running


def client_of(ghost: GhostStandIn, admin_key: str | None = None) -> GhostClient:
    return GhostClient(ghost.url, admin_key or ghost.admin_key, ghost.content_key)


async def test_paging_through_250_posts_gives_each_once(ghost: GhostStandIn) -> None:
    drafts_and_posts = {p["id"] for p in ghost.posts()}
    seen: list[str] = []
    pages = []
    async with client_of(ghost) as client:
        number: int | None = 1
        while number is not None:
            page = await client.browse(
                "posts", page=number, order="updated_at asc", include="tags,authors"
            )
            pages.append(page)
            seen += [item["id"] for item in page.items]
            number = page.next
    assert [len(p.items) for p in pages] == [100, 100, 54]
    assert [(p.page, p.pages, p.total) for p in pages] == [(1, 3, 254), (2, 3, 254), (3, 3, 254)]
    assert len(seen) == len(set(seen)) == 254 and set(seen) == drafts_and_posts
    first = pages[0].items[0]
    assert first["tags"] and first["authors"] and "<img" in first["html"]


async def test_a_filter_on_updated_at_finds_only_what_changed(ghost: GhostStandIn) -> None:
    async with client_of(ghost) as client:
        newest = await client.browse("posts", limit=1, order="updated_at desc")
        mark = newest.items[0]["updated_at"]
        ids = [p["id"] for p in ghost.posts()[:3]]
        for ghost_id in ids:
            ghost.edit_post(ghost_id, title=f"Edited {ghost_id}")
        changed = await client.browse(
            "posts", filter=f"updated_at:>'{mark}'", order="updated_at asc", fields="id,title"
        )
        same_second = await client.browse("posts", filter=f"updated_at:>='{mark}'")
    assert sorted(item["id"] for item in changed.items) == sorted(ids)
    assert all(item.keys() == {"id", "title"} for item in changed.items)
    assert changed.total == 3 and changed.next is None
    assert same_second.total == 4  # the mark's own post too


async def test_published_only_and_the_content_api(ghost: GhostStandIn) -> None:
    async with client_of(ghost) as client:
        published = await client.browse("posts", filter="status:published", limit=5)
        content = await client.content_browse("posts", limit=5, include="tags,authors")
        authors = await client.content_browse("authors")
        tags = await client.content_browse("tags")
        admin_tags = await client.browse("tags")
    assert published.total == content.total == 250
    assert "status" not in content.items[0] and content.items[0]["authors"]
    assert authors.total == 2 and "email" not in authors.items[0]
    # Internal (#) tags are not public: the Content API leaves them out.
    assert {t["visibility"] for t in admin_tags.items} == {"public", "internal"}
    assert {t["visibility"] for t in tags.items} == {"public"}


async def test_read_finds_by_id_and_gives_none_for_a_missing_post(ghost: GhostStandIn) -> None:
    post = ghost.posts()[10]
    async with client_of(ghost) as client:
        found = await client.read("posts", post["id"], include="tags,authors")
        missing = await client.read("posts", "0123456789abcdef01234567")
    assert found is not None and found["title"] == post["title"] and found["tags"]
    assert missing is None


async def test_a_bad_admin_key_is_an_error_naming_401(ghost: GhostStandIn) -> None:
    kid = ghost.admin_key.split(":")[0]
    for wrong in (f"{kid}:{'ab' * 32}", f"{'cd' * 12}:{'ab' * 32}"):
        async with client_of(ghost, wrong) as client:
            with pytest.raises(GhostError) as caught:
                await client.browse("posts")
        assert not isinstance(caught.value, GhostUnavailable)
        assert "401" in str(caught.value) and f"{ghost.url}/ghost/api/admin/posts/" in str(
            caught.value
        )


async def test_ghost_down_or_failing_is_unavailable_and_recovers() -> None:
    with GhostStandIn(posts=3) as ghost:
        async with client_of(ghost) as client:
            await client.browse("posts")
            ghost.down()
            with pytest.raises(GhostUnavailable, match="could not be reached"):
                await client.browse("posts")
            ghost.up()
            ghost.fail_after(1)
            await client.browse("posts")
            with pytest.raises(GhostUnavailable, match="503"):
                await client.browse("posts")
            ghost.up()
            assert (await client.browse("posts")).total == 3


async def test_create_webhook_subscribes_through_the_admin_api(ghost: GhostStandIn) -> None:
    async with client_of(ghost) as client:
        hook = await client.create_webhook("post.published", "http://127.0.0.1:9/x", "s3cret")
    assert len(hook["id"]) == 24 and ghost.webhooks[hook["id"]]["secret"] == "s3cret"
    ghost.webhooks.pop(hook["id"])


def _segments(token: str) -> tuple[dict[str, object], dict[str, object]]:
    head, body, _sig = token.split(".")
    decode = lambda part: json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))  # noqa: E731
    return decode(head), decode(body)


def test_the_admin_token_is_what_ghost_verifies() -> None:
    key = f"{'a1' * 12}:{'0f' * 32}"
    token = admin_token(key, now=1_700_000_000)
    header, claims = _segments(token)
    assert header == {"alg": "HS256", "typ": "JWT", "kid": "a1" * 12}
    assert claims == {"iat": 1_700_000_000, "exp": 1_700_000_300, "aud": "/admin/"}
    # Signed with the hex-decoded secret, not the hex text.
    jwt.decode(token, OctKey.import_key(bytes.fromhex("0f" * 32)), algorithms=["HS256"])
    with pytest.raises(GhostError, match="hex"):
        admin_token("a1:not-hex")


async def test_the_stand_in_refuses_old_tokens_wrong_audiences_and_algorithms(
    ghost: GhostStandIn,
) -> None:
    kid, secret = ghost.admin_key.split(":")
    key = OctKey.import_key(bytes.fromhex(secret))
    now = int(time.time())
    bad = {
        "old": jwt.encode(
            {"alg": "HS256", "kid": kid},
            {"iat": now - 400, "exp": now + 100, "aud": "/admin/"},
            key,
        ),
        "audience": jwt.encode(
            {"alg": "HS256", "kid": kid}, {"iat": now, "exp": now + 300, "aud": "/content/"}, key
        ),
        "algorithm": jwt.encode(
            {"alg": "HS512", "kid": kid},
            {"iat": now, "exp": now + 300, "aud": "/admin/"},
            key,
            algorithms=["HS512"],
        ),
    }
    async with httpx.AsyncClient() as http:
        good = await http.get(
            f"{ghost.url}/ghost/api/admin/tags/",
            headers={"Authorization": f"Ghost {admin_token(ghost.admin_key)}"},
        )
        assert good.status_code == 200
        for what, token in bad.items():
            answer = await http.get(
                f"{ghost.url}/ghost/api/admin/tags/", headers={"Authorization": f"Ghost {token}"}
            )
            assert answer.status_code == 401, what
            assert answer.json()["errors"][0]["type"] == "UnauthorizedError", what
        plain = await http.get(f"{ghost.url}/ghost/api/admin/tags/")
        assert plain.status_code == 401 and "Authorization" in plain.json()["errors"][0]["message"]


def test_a_good_signature_is_accepted() -> None:
    body = b'{"post":{"current":{"id":"x"}}}'
    now = 1_700_000_000_000
    verify_signature("secret", body, sign("secret", body, now), now_ms=now + 2000)


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        (None, "missing"),
        ("", "missing"),
        ("sha256=abc", "malformed"),
        ("t=1700000000000", "malformed"),
        ("nonsense", "malformed"),
        (sign("secret", b"{}", 1_700_000_000_000 - 301_000), "too old .*301 s old"),
        (sign("secret", b"{}", 1_700_000_000_000 + 400_000), "too new .*400 s in the future"),
        (sign("other", b"{}", 1_700_000_000_000), "does not match"),
        (sign("secret", b"{ }", 1_700_000_000_000), "does not match"),
    ],
)
def test_a_bad_signature_is_refused_naming_why(header: str | None, reason: str) -> None:
    with pytest.raises(BadSignature, match=reason):
        verify_signature("secret", b"{}", header, now_ms=1_700_000_000_000)


def test_sync_is_off_without_ghost_url_and_a_url_needs_the_admin_key() -> None:
    base = {
        "ROSE_ASH_ENV": "test",
        "DATABASE_URL": "postgresql://u@127.0.0.1/x",
        "REDIS_URL": "redis://127.0.0.1:6379/0",
        "SECRET_KEY": "x" * 40,
    }
    assert GhostClient.from_settings(load_settings(base)) is None
    with pytest.raises(ConfigError, match="GHOST_ADMIN_KEY"):
        load_settings({**base, "GHOST_URL": "https://ghost.example.coop"})
    with pytest.raises(ConfigError, match="GHOST_ADMIN_KEY"):
        load_settings({**base, "GHOST_URL": "https://g.example", "GHOST_ADMIN_KEY": "nocolon"})
    settings = load_settings(
        {**base, "GHOST_URL": "https://g.example/", "GHOST_ADMIN_KEY": "ab:cd"}
    )
    client = GhostClient.from_settings(settings)
    assert client is not None and client.url == "https://g.example"
