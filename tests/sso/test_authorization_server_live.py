"""federation's authorization server over real HTTP, driven by a client we did not
write: Authlib's AsyncOAuth2Client (httpx). id_tokens are checked with joserfc."""

from __future__ import annotations

import hashlib
import json
import secrets
import warnings
from collections.abc import AsyncIterator, Iterator
from urllib.parse import parse_qs, urlsplit

import asyncpg
import authlib.deprecate  # noqa: F401  (installs its own filter first; ours below must win)
import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet
from joserfc.jwt import JWTClaimsRegistry

from tests.sso.conftest import LIVE_DATABASE, Member, client_secret, sign_up, to_internal
from tests.support.databases import DatabaseServer
from tests.support.live import LivePlatform

with warnings.catch_warnings():
    # Authlib 1.9 nudges towards httpx2 (its next major); httpx is what we pin.
    warnings.filterwarnings("ignore", "The httpx module is deprecated")
    from authlib.integrations.httpx_client import AsyncOAuth2Client, OAuthError

pytestmark = pytest.mark.slow

SCOPE = "openid profile email"


def endpoint(live: LivePlatform, path: str) -> str:
    return live.internal_url("federation") + path


@pytest.fixture
async def blog_client(live_sso: LivePlatform) -> AsyncIterator[AsyncOAuth2Client]:
    """The blog's registered credentials, in Authlib's client."""
    client = AsyncOAuth2Client(
        client_id="blog",
        client_secret=client_secret("blog"),
        scope=SCOPE,
        redirect_uri=live_sso.public_url("blog") + "/auth/callback",
        code_challenge_method="S256",
    )
    yield client
    await client.aclose()


@pytest.fixture(scope="module")
def member(live_sso: LivePlatform) -> Iterator[Member]:
    member = sign_up(live_sso, "oauthmember")
    yield member
    member.browser.close()


def authorization_url(
    live: LivePlatform, client: AsyncOAuth2Client, verifier: str | None, **extra: str
) -> tuple[str, str]:
    url, state = client.create_authorization_url(
        endpoint(live, "/oauth/authorize"), code_verifier=verifier, **extra
    )
    return url, state


def authorize(live: LivePlatform, member: Member, url: str) -> httpx.Response:
    return member.browser.get(to_internal(live, url))


def query_of(location: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


async def code_and_tokens(
    live: LivePlatform, member: Member, client: AsyncOAuth2Client, nonce: str = "n-0S6_WzA2Mj"
) -> dict[str, object]:
    verifier = secrets.token_urlsafe(48)
    url, state = authorization_url(live, client, verifier, nonce=nonce)
    response = authorize(live, member, url)
    assert response.status_code == 302, response.text
    return await client.fetch_token(
        endpoint(live, "/oauth/token"),
        authorization_response=response.headers["location"],
        state=state,
        code_verifier=verifier,
    )


async def introspect(
    client: AsyncOAuth2Client, live: LivePlatform, token: str
) -> dict[str, object]:
    response = await client.introspect_token(endpoint(live, "/oauth/introspect"), token=token)
    assert response.status_code == 200
    return response.json()


async def test_code_flow_with_pkce_issues_tokens_and_a_verifiable_id_token(
    live_sso: LivePlatform, member: Member, blog_client: AsyncOAuth2Client
) -> None:
    verifier = secrets.token_urlsafe(48)
    url, state = authorization_url(live_sso, blog_client, verifier, nonce="nonce-123")
    response = authorize(live_sso, member, url)

    location = response.headers["location"]
    assert location.startswith(live_sso.public_url("blog") + "/auth/callback?")
    params = query_of(location)
    assert params["state"] == state
    assert params["iss"] == live_sso.public_url("federation")  # RFC 9207
    token = await blog_client.fetch_token(
        endpoint(live_sso, "/oauth/token"),
        authorization_response=location,
        state=state,
        code_verifier=verifier,
    )
    assert {"access_token", "refresh_token", "id_token"} <= set(token)
    assert token["token_type"].lower() == "bearer"

    jwks = (await blog_client.get(endpoint(live_sso, "/oauth/jwks"))).json()
    decoded = jwt.decode(token["id_token"], KeySet.import_key_set(jwks), algorithms=["RS256"])
    JWTClaimsRegistry(
        iss={"essential": True, "value": live_sso.public_url("federation")},
        aud={"essential": True, "value": "blog"},
        nonce={"essential": True, "value": "nonce-123"},
        sid={"essential": True},
        exp={"essential": True},
        auth_time={"essential": True},
    ).validate(decoded.claims)
    assert decoded.header["alg"] == "RS256" and decoded.header["kid"]

    userinfo = await blog_client.get(endpoint(live_sso, "/oauth/userinfo"))
    assert userinfo.json()["sub"] == decoded.claims["sub"]
    assert userinfo.json()["email"] == member.email
    assert userinfo.json()["preferred_username"] == member.username

    active = await introspect(blog_client, live_sso, token["access_token"])
    assert active["active"] is True and active["client_id"] == "blog"
    assert active["sub"] == decoded.claims["sub"] and active["sid"] == decoded.claims["sid"]


async def test_refresh_rotates_and_a_reused_refresh_token_revokes_the_family(
    live_sso: LivePlatform, member: Member, blog_client: AsyncOAuth2Client
) -> None:
    first = await code_and_tokens(live_sso, member, blog_client)
    token_url = endpoint(live_sso, "/oauth/token")

    second = await blog_client.refresh_token(token_url, refresh_token=first["refresh_token"])
    assert second["refresh_token"] != first["refresh_token"]
    assert second["access_token"] != first["access_token"]
    assert (await introspect(blog_client, live_sso, second["access_token"]))["active"] is True

    with pytest.raises(OAuthError) as refused:
        await blog_client.refresh_token(token_url, refresh_token=first["refresh_token"])
    assert refused.value.error == "invalid_grant"

    # The whole family is gone: the newest tokens too.
    assert (await introspect(blog_client, live_sso, second["access_token"]))["active"] is False
    with pytest.raises(OAuthError):
        await blog_client.refresh_token(token_url, refresh_token=second["refresh_token"])


async def test_revocation_ends_a_token(
    live_sso: LivePlatform, member: Member, blog_client: AsyncOAuth2Client
) -> None:
    token = await code_and_tokens(live_sso, member, blog_client)

    response = await blog_client.revoke_token(
        endpoint(live_sso, "/oauth/revoke"), token=token["access_token"]
    )

    assert response.status_code == 200
    assert (await introspect(blog_client, live_sso, token["access_token"]))["active"] is False
    userinfo = await blog_client.get(endpoint(live_sso, "/oauth/userinfo"))
    assert userinfo.status_code == 401


def test_an_unknown_client_is_refused_without_a_redirect(
    live_sso: LivePlatform, member: Member
) -> None:
    response = authorize(
        live_sso,
        member,
        endpoint(live_sso, "/oauth/authorize")
        + "?response_type=code&client_id=nobody&redirect_uri=https%3A%2F%2Fevil.example%2Fcb"
        "&scope=openid&code_challenge=" + "a" * 43 + "&code_challenge_method=S256",
    )
    assert response.status_code == 400
    assert "location" not in response.headers
    assert "client does not exist" in response.text


def test_a_redirect_uri_that_is_not_registered_exactly_is_refused(
    live_sso: LivePlatform, member: Member, blog_client: AsyncOAuth2Client
) -> None:
    blog_client.redirect_uri = live_sso.public_url("blog") + "/auth/callback/../evil"
    url, _ = authorization_url(live_sso, blog_client, secrets.token_urlsafe(48))
    response = authorize(live_sso, member, url)
    assert response.status_code == 400
    assert "location" not in response.headers
    assert "not supported by client" in response.text


@pytest.mark.parametrize("pkce", ["missing", "plain", "no method"])
def test_authorization_without_s256_pkce_is_refused(
    live_sso: LivePlatform, member: Member, blog_client: AsyncOAuth2Client, pkce: str
) -> None:
    blog_client.code_challenge_method = None
    url, state = authorization_url(live_sso, blog_client, None)
    if pkce == "plain":
        url += "&code_challenge=" + "p" * 43 + "&code_challenge_method=plain"
    elif pkce == "no method":
        url += "&code_challenge=" + "p" * 43
    response = authorize(live_sso, member, url)
    params = query_of(response.headers["location"])
    assert params["error"] == "invalid_request" and params["state"] == state
    assert "code" not in params


async def test_a_wrong_code_verifier_is_refused_and_nothing_is_issued(
    live_sso: LivePlatform, member: Member, blog_client: AsyncOAuth2Client
) -> None:
    url, state = authorization_url(live_sso, blog_client, secrets.token_urlsafe(48))
    location = authorize(live_sso, member, url).headers["location"]
    with pytest.raises(OAuthError) as refused:
        await blog_client.fetch_token(
            endpoint(live_sso, "/oauth/token"),
            authorization_response=location,
            state=state,
            code_verifier=secrets.token_urlsafe(48),
        )
    assert refused.value.error == "invalid_grant"
    assert "challenge failed" in (refused.value.description or "").lower()


async def test_a_reused_code_is_refused_and_revokes_what_it_issued(
    live_sso: LivePlatform, member: Member, blog_client: AsyncOAuth2Client
) -> None:
    verifier = secrets.token_urlsafe(48)
    url, state = authorization_url(live_sso, blog_client, verifier)
    location = authorize(live_sso, member, url).headers["location"]
    token_url = endpoint(live_sso, "/oauth/token")
    token = await blog_client.fetch_token(
        token_url, authorization_response=location, state=state, code_verifier=verifier
    )

    with pytest.raises(OAuthError) as refused:
        await blog_client.fetch_token(
            token_url, authorization_response=location, state=state, code_verifier=verifier
        )

    assert refused.value.error == "invalid_grant"
    assert (await introspect(blog_client, live_sso, token["access_token"]))["active"] is False


async def test_an_expired_code_is_refused(
    live_sso: LivePlatform,
    member: Member,
    blog_client: AsyncOAuth2Client,
    database_server: DatabaseServer,
) -> None:
    verifier = secrets.token_urlsafe(48)
    url, state = authorization_url(live_sso, blog_client, verifier)
    location = authorize(live_sso, member, url).headers["location"]
    code_hash = hashlib.sha256(query_of(location)["code"].encode()).hexdigest()
    conn = await asyncpg.connect(database_server.url_for(LIVE_DATABASE))
    try:
        await conn.execute(
            "UPDATE oauth_authorization_codes SET expires_at = now() - interval '1 second' "
            "WHERE code_hash = $1",
            code_hash,
        )
    finally:
        await conn.close()

    with pytest.raises(OAuthError) as refused:
        await blog_client.fetch_token(
            endpoint(live_sso, "/oauth/token"),
            authorization_response=location,
            state=state,
            code_verifier=verifier,
        )
    assert refused.value.error == "invalid_grant"


def test_a_callback_with_a_state_this_browser_did_not_start_is_refused(
    live_sso: LivePlatform, member: Member
) -> None:
    with httpx.Client(base_url=live_sso.internal_url("blog")) as blog:
        start = blog.get("/auth/login")
        started = query_of(start.headers["location"])
        code_location = authorize(live_sso, member, start.headers["location"]).headers["location"]
        forged = code_location.replace(started["state"], "not-the-state")

        response = blog.get(to_internal(live_sso, forged))

        assert response.status_code == 400
        assert "ra_session" not in blog.cookies


def test_next_pointing_elsewhere_after_login_lands_on_the_home_page(
    live_sso: LivePlatform, member: Member
) -> None:
    with httpx.Client(base_url=live_sso.internal_url("blog")) as blog:
        start = blog.get("/auth/login", params={"next": "https://evil.example/steal"})
        code_location = authorize(live_sso, member, start.headers["location"]).headers["location"]

        response = blog.get(to_internal(live_sso, code_location))

        assert response.status_code == 302
        assert response.headers["location"] == "/"
        assert "ra_session" in blog.cookies
        assert member.display_name in blog.get("/").text


def test_the_discovery_document_lists_every_endpoint(live_sso: LivePlatform) -> None:
    response = httpx.get(endpoint(live_sso, "/.well-known/openid-configuration"))

    assert response.headers["content-type"].startswith("application/json")
    document = json.loads(response.text)
    issuer = live_sso.public_url("federation")
    assert document["issuer"] == issuer
    for name, path in {
        "authorization_endpoint": "/oauth/authorize",
        "token_endpoint": "/oauth/token",
        "userinfo_endpoint": "/oauth/userinfo",
        "jwks_uri": "/oauth/jwks",
        "revocation_endpoint": "/oauth/revoke",
        "introspection_endpoint": "/oauth/introspect",
        "end_session_endpoint": "/oauth/logout",
    }.items():
        assert document[name] == issuer + path
    assert document["code_challenge_methods_supported"] == ["S256"]
    assert document["grant_types_supported"] == ["authorization_code", "refresh_token"]
    assert document["backchannel_logout_supported"] is True
    assert document["authorization_response_iss_parameter_supported"] is True
    rfc8414 = httpx.get(endpoint(live_sso, "/.well-known/oauth-authorization-server")).json()
    assert rfc8414 == document
