"""Any OpenID Connect client as a guest: an operator registers one with the command,
and Authlib's client (which we did not write) drives the code + PKCE flow over real
HTTP: consent asked once, then remembered; userinfo; a refresh returns a new id_token
that verifies with joserfc against the JWKS; disconnecting the app on the member's page
makes its refresh token fail; RP-initiated logout redirects only to a registered URI."""

from __future__ import annotations

import html
import re
import secrets
import subprocess
import sys
import warnings
from collections.abc import AsyncIterator, Iterator
from urllib.parse import parse_qs, urlencode, urlsplit

import authlib.deprecate  # noqa: F401  (installs its own filter first; ours below must win)
import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet
from joserfc.jwt import JWTClaimsRegistry

from shared.dev.smtp import SmtpStandIn
from tests.sso.conftest import PASSWORD, Member, csrf_of, sign_up, to_internal
from tests.sso.test_reset_ends_sessions_live import sign_in_to
from tests.support.live import LivePlatform

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", "The httpx module is deprecated")
    from authlib.integrations.httpx_client import AsyncOAuth2Client, OAuthError

pytestmark = pytest.mark.slow

WIKI = "https://wiki.example.test"
SCOPE = "openid profile email"


def operator(live: LivePlatform, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "shared.infrastructure.oidc", *args],
        env=live.env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def registered(output: str) -> tuple[str, str | None]:
    client_id = re.search(r"^client_id: (\S+)", output, re.M)
    secret = re.search(r"^client_secret: (\S+)", output, re.M)
    assert client_id, output
    return client_id.group(1), secret.group(1) if secret else None


@pytest.fixture(scope="module")
def wiki(live_sso: LivePlatform) -> tuple[str, str]:
    done = operator(
        live_sso, "register", "--name", "Co-op Wiki", "--redirect-uri", f"{WIKI}/callback",
        "--post-logout-redirect-uri", f"{WIKI}/signed-out", "--scope", SCOPE,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    client_id, secret = registered(done.stdout)
    assert secret is not None
    return client_id, secret


@pytest.fixture
async def wiki_client(
    live_sso: LivePlatform, wiki: tuple[str, str]
) -> AsyncIterator[AsyncOAuth2Client]:
    client = AsyncOAuth2Client(
        client_id=wiki[0],
        client_secret=wiki[1],
        scope=SCOPE,
        redirect_uri=f"{WIKI}/callback",
        code_challenge_method="S256",
    )
    yield client
    await client.aclose()


@pytest.fixture(scope="module")
def member(live_sso: LivePlatform, smtp: SmtpStandIn) -> Iterator[Member]:
    member = confirmed_member(live_sso, smtp, "wikimember")
    yield member
    member.browser.close()


def endpoint(live: LivePlatform, path: str) -> str:
    return live.internal_url("federation") + path


def start(live: LivePlatform, client: AsyncOAuth2Client) -> tuple[str, str, str]:
    verifier = secrets.token_urlsafe(48)
    url, state = client.create_authorization_url(
        endpoint(live, "/oauth/authorize"), code_verifier=verifier, nonce="n-1"
    )
    return url, state, verifier


def allow(live: LivePlatform, member: Member, consent: httpx.Response) -> httpx.Response:
    query = re.search(r'name="query" value="([^"]*)"', consent.text)
    assert query
    return member.browser.post(
        "/oauth/authorize/decision",
        data={
            "csrf_token": csrf_of(consent.text),
            "query": html.unescape(query.group(1)),
            "decision": "allow",
        },
    )


async def tokens_for(
    live: LivePlatform, client: AsyncOAuth2Client, location: str, state: str, verifier: str
) -> dict[str, object]:
    assert location.startswith(f"{WIKI}/callback?"), location
    return await client.fetch_token(
        endpoint(live, "/oauth/token"),
        authorization_response=location,
        state=state,
        code_verifier=verifier,
    )


def verified_claims(live: LivePlatform, id_token: str, client_id: str) -> dict[str, object]:
    keys = KeySet.import_key_set(httpx.get(endpoint(live, "/oauth/jwks")).json())
    decoded = jwt.decode(id_token, keys, algorithms=["RS256"])
    JWTClaimsRegistry(
        iss={"essential": True, "value": live.public_url("federation")},
        aud={"essential": True, "value": client_id},
    ).validate(decoded.claims)
    return decoded.claims


async def test_a_registered_client_signs_a_member_in_with_consent_once_then_loses_access(
    live_sso: LivePlatform, member: Member, wiki: tuple[str, str], wiki_client: AsyncOAuth2Client
) -> None:
    url, state, verifier = start(live_sso, wiki_client)
    consent = member.browser.get(to_internal(live_sso, url))
    assert consent.status_code == 200 and "Allow Co-op Wiki?" in consent.text
    assert re.findall(r'data-scope="(\w+)"', consent.text) == SCOPE.split()
    answered = allow(live_sso, member, consent)
    assert answered.status_code == 302
    token = await tokens_for(live_sso, wiki_client, answered.headers["location"], state, verifier)
    first_claims = verified_claims(live_sso, str(token["id_token"]), wiki[0])

    userinfo = (await wiki_client.get(endpoint(live_sso, "/oauth/userinfo"))).json()
    assert userinfo["preferred_username"] == "wikimember" and userinfo["email_verified"]

    # Consent is remembered: the second sign-in goes straight back with a code.
    url, state, verifier = start(live_sso, wiki_client)
    again = member.browser.get(to_internal(live_sso, url))
    assert again.status_code == 302 and again.headers["location"].startswith(f"{WIKI}/callback?")
    token = await tokens_for(live_sso, wiki_client, again.headers["location"], state, verifier)

    refreshed = await wiki_client.refresh_token(
        endpoint(live_sso, "/oauth/token"), refresh_token=token["refresh_token"]
    )
    assert refreshed["id_token"] != token["id_token"]
    claims = verified_claims(live_sso, str(refreshed["id_token"]), wiki[0])
    assert claims["sub"] == first_claims["sub"] and claims["sid"] == first_claims["sid"]

    federation = sign_in_to(live_sso, "federation", member.browser)
    page = federation.get("/security/apps")
    assert "Co-op Wiki" in page.text
    federation.post(f"/security/apps/{wiki[0]}/disconnect", data={"csrf_token": csrf_of(page.text)})
    assert "Co-op Wiki" not in federation.get("/security/apps").text
    with pytest.raises(OAuthError) as refused:
        await wiki_client.refresh_token(
            endpoint(live_sso, "/oauth/token"), refresh_token=refreshed["refresh_token"]
        )
    assert refused.value.error == "invalid_grant"
    federation.close()


def confirmed_member(live: LivePlatform, smtp: SmtpStandIn, username: str) -> Member:
    member = sign_up(live, username)
    mail = smtp.wait_for(to=member.email, subject="Confirm your email address")
    (link,) = {link for link in mail.links() if "/email/verify" in link}
    assert member.browser.get(to_internal(live, link)).status_code == 200
    return member


def logout(member: Member, id_token: object, post_logout_uri: str) -> httpx.Response:
    query = urlencode({"id_token_hint": id_token, "post_logout_redirect_uri": post_logout_uri})
    return member.browser.get(f"/oauth/logout?{query}")


async def test_logout_redirects_only_to_a_registered_post_logout_uri(
    live_sso: LivePlatform, wiki_client: AsyncOAuth2Client, smtp: SmtpStandIn
) -> None:
    guest = confirmed_member(live_sso, smtp, "wikileaver")
    url, state, verifier = start(live_sso, wiki_client)
    answered = allow(live_sso, guest, guest.browser.get(to_internal(live_sso, url)))
    token = await tokens_for(live_sso, wiki_client, answered.headers["location"], state, verifier)

    elsewhere = logout(guest, token["id_token"], "https://evil.example/")
    assert elsewhere.status_code == 200 and "location" not in elsewhere.headers

    signin = guest.browser.get("/signin")
    guest.browser.post(
        "/signin",
        data={"csrf_token": csrf_of(signin.text), "login": guest.username, "password": PASSWORD},
    )
    url, state, verifier = start(live_sso, wiki_client)
    back = guest.browser.get(to_internal(live_sso, url))  # consent remembered
    token = await tokens_for(live_sso, wiki_client, back.headers["location"], state, verifier)
    home = logout(guest, token["id_token"], f"{WIKI}/signed-out")
    assert home.status_code == 302 and home.headers["location"].startswith(f"{WIKI}/signed-out")
    guest.browser.close()


def test_a_redirect_uri_differing_by_a_trailing_slash_is_refused(
    live_sso: LivePlatform, member: Member, wiki: tuple[str, str]
) -> None:
    query = urlencode({
        "response_type": "code", "client_id": wiki[0], "redirect_uri": f"{WIKI}/callback/",
        "scope": SCOPE, "code_challenge": "a" * 43, "code_challenge_method": "S256",
    })  # fmt: skip
    response = member.browser.get(f"/oauth/authorize?{query}")
    assert response.status_code == 400 and "location" not in response.headers
    assert "redirect_uri" in response.text


def test_a_scope_the_client_was_not_registered_for_is_refused_by_name(
    live_sso: LivePlatform, member: Member
) -> None:
    done = operator(
        live_sso, "register", "--name", "Chat", "--redirect-uri", "https://chat.example.test/cb",
        "--scope", "openid profile", "--public",
    )  # fmt: skip
    client_id, secret = registered(done.stdout)
    assert secret is None  # a public client has none
    query = urlencode({
        "response_type": "code", "client_id": client_id,
        "redirect_uri": "https://chat.example.test/cb", "scope": "openid profile email",
        "code_challenge": "a" * 43, "code_challenge_method": "S256", "state": "s1",
    })  # fmt: skip
    response = member.browser.get(f"/oauth/authorize?{query}")
    assert response.status_code == 302, response.text
    params = parse_qs(urlsplit(response.headers["location"]).query)
    assert params["error"] == ["invalid_scope"]
    assert "may not ask for: email" in params["error_description"][0]


def test_the_operator_lists_rotates_and_removes_a_client(live_sso: LivePlatform) -> None:
    client_id, secret = registered(
        operator(live_sso, "register", "--name", "Partner", "--redirect-uri",
                 "https://partner.example.test/cb").stdout
    )  # fmt: skip
    assert client_id in operator(live_sso, "list").stdout
    _, rotated = registered(operator(live_sso, "rotate-secret", client_id).stdout)
    assert rotated and rotated != secret
    assert operator(live_sso, "remove", client_id).returncode == 0
    assert client_id not in operator(live_sso, "list").stdout
    refused = operator(
        live_sso, "register", "--name", "Bad", "--redirect-uri", "http://bad.example/cb"
    )
    assert refused.returncode == 2 and "must use https" in refused.stderr


def test_a_member_with_an_unconfirmed_address_cannot_connect_an_application(
    live_sso: LivePlatform, wiki_client: AsyncOAuth2Client
) -> None:
    unconfirmed = sign_up(live_sso, "wikiunconfirmed")
    url, _, _ = start(live_sso, wiki_client)

    refused = unconfirmed.browser.get(to_internal(live_sso, url))

    assert refused.status_code == 403 and "location" not in refused.headers
    assert "Confirm your email address first" in refused.text
    unconfirmed.browser.close()
