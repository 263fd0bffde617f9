"""One app as an OpenID Connect client of federation: the protocol work, no routes.

Codes are exchanged and keys fetched server to server on federation's
internal URL; the issuer the tokens must name is federation's public URL.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from joserfc.jwt import JWTClaimsRegistry

from shared.infrastructure.config import Settings
from shared.infrastructure.oidc.clients import FirstPartyClient, first_party_client
from shared.infrastructure.oidc.logout import BACKCHANNEL_EVENT, LOGOUT_TOKEN_TYPE
from shared.infrastructure.oidc.metadata import (
    AUTHORIZE_PATH,
    END_SESSION_PATH,
    JWKS_PATH,
    TOKEN_PATH,
)
from shared.infrastructure.sessions import PendingLogin

JWKS_CACHE_SECONDS = 300
CLOCK_LEEWAY_SECONDS = 60
HTTP_TIMEOUT_SECONDS = 5.0


class SignInError(Exception):
    """The sign-in (or a logout token) could not be accepted; the message says why."""


class GrantRevoked(SignInError):
    """federation refused the refresh token: the member's grant is over (revoked, signed
    out elsewhere, or the family was ended), so this app's session ends too."""


@dataclass(frozen=True, slots=True)
class TokenSet:
    access_token: str
    refresh_token: str | None
    id_token: str
    expires_in: int = 0

    def access_expires_at(self) -> float:
        return time.time() + self.expires_in if self.expires_in else 0.0


def _s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


class RelyingParty:
    def __init__(self, settings: Settings, app_name: str) -> None:
        self.settings = settings
        self.app_name = app_name
        self.client: FirstPartyClient = first_party_client(settings, app_name)
        federation = settings.app("federation")
        self.issuer = federation.base_url
        self.internal = federation.internal_url
        self.http: httpx.AsyncClient | None = None
        self._jwks: KeySet | None = None
        self._jwks_fetched = 0.0

    async def open(self) -> None:
        self.http = httpx.AsyncClient(timeout=HTTP_TIMEOUT_SECONDS, trust_env=False)

    async def close(self) -> None:
        if self.http is not None:
            await self.http.aclose()
            self.http = None

    def _client(self) -> httpx.AsyncClient:
        if self.http is None:
            raise RuntimeError("the relying party is not open: serve the app through its lifespan")
        return self.http

    def new_login(self, next_path: str, *, silent: bool, browser: str) -> PendingLogin:
        return PendingLogin(
            state=secrets.token_urlsafe(24),
            nonce=secrets.token_urlsafe(24),
            code_verifier=secrets.token_urlsafe(48),
            next_path=next_path,
            silent=silent,
            browser=browser,
        )

    def authorize_url(self, pending: PendingLogin) -> str:
        params = {
            "response_type": "code",
            "client_id": self.client.client_id,
            "redirect_uri": self.client.redirect_uri,
            "scope": "openid profile email",
            "state": pending.state,
            "nonce": pending.nonce,
            "code_challenge": _s256(pending.code_verifier),
            "code_challenge_method": "S256",
        }
        if pending.silent:
            params["prompt"] = "none"
        return f"{self.issuer}{AUTHORIZE_PATH}?{urlencode(params)}"

    def end_session_url(self, id_token: str | None) -> str:
        params = {
            "client_id": self.client.client_id,
            "post_logout_redirect_uri": self.client.post_logout_redirect_uri,
        }
        if id_token:
            params["id_token_hint"] = id_token
        return f"{self.issuer}{END_SESSION_PATH}?{urlencode(params)}"

    async def exchange_code(self, code: str, pending: PendingLogin) -> TokenSet:
        try:
            response = await self._client().post(
                self.internal + TOKEN_PATH,
                data={
                    "grant_type": "authorization_code",
                    "code": code,
                    "redirect_uri": self.client.redirect_uri,
                    "code_verifier": pending.code_verifier,
                },
                auth=(self.client.client_id, self.client.client_secret),
            )
        except httpx.HTTPError as exc:
            raise SignInError(f"federation could not be reached: {exc}") from exc
        body = (
            response.json()
            if response.headers.get("content-type", "").startswith("application/json")
            else {}
        )
        if response.status_code != 200 or "id_token" not in body:
            raise SignInError(f"the code was refused: {body.get('error', response.status_code)}")
        return _token_set(body)

    async def refresh(self, refresh_token: str, subject: str) -> TokenSet:
        """New tokens for a refresh token, the new id_token verified (same member).
        Raises GrantRevoked when federation refuses the refresh token, SignInError when
        it cannot be reached or answers nonsense."""
        try:
            response = await self._client().post(
                self.internal + TOKEN_PATH,
                data={"grant_type": "refresh_token", "refresh_token": refresh_token},
                auth=(self.client.client_id, self.client.client_secret),
            )
        except httpx.HTTPError as exc:
            raise SignInError(f"federation could not be reached: {exc}") from exc
        body = (
            response.json()
            if response.headers.get("content-type", "").startswith("application/json")
            else {}
        )
        if response.status_code == 400 and body.get("error") == "invalid_grant":
            raise GrantRevoked("the refresh token was refused")
        if response.status_code != 200 or "id_token" not in body:
            raise SignInError(f"the refresh was refused: {body.get('error', response.status_code)}")
        claims = dict((await self._decode(body["id_token"])).claims)
        self._validate(claims, "exp", "sub")
        if str(claims["sub"]) != subject:
            raise SignInError("the refreshed id_token names another member")
        return _token_set(body)

    async def _keys(self, *, refresh: bool = False) -> KeySet:
        stale = time.monotonic() - self._jwks_fetched > JWKS_CACHE_SECONDS
        if self._jwks is None or stale or refresh:
            try:
                response = await self._client().get(self.internal + JWKS_PATH)
                response.raise_for_status()
                self._jwks = KeySet.import_key_set(response.json())
            except (httpx.HTTPError, ValueError, JoseError) as exc:
                raise SignInError(f"federation's keys could not be fetched: {exc}") from exc
            self._jwks_fetched = time.monotonic()
        return self._jwks

    async def _decode(self, token: str) -> Any:
        for refresh in (False, True):  # an unknown key id: fetch the keys again once
            keys = await self._keys(refresh=refresh)
            try:
                return jwt.decode(token, keys, algorithms=["RS256"])
            except JoseError as exc:
                if refresh or "key" not in str(exc).lower():
                    raise SignInError(f"the token is not valid: {exc}") from exc
        raise SignInError("the token is not valid")

    def _validate(self, claims: dict[str, Any], *required: str) -> None:
        options: dict[str, Any] = {name: {"essential": True} for name in ("iat", *required)}
        registry = JWTClaimsRegistry(
            leeway=CLOCK_LEEWAY_SECONDS,
            iss={"essential": True, "value": self.issuer},
            aud={"essential": True, "value": self.client.client_id},
            **options,
        )
        try:
            registry.validate(claims)
        except JoseError as exc:
            raise SignInError(f"the token's claims are not valid: {exc}") from exc

    async def verify_id_token(self, id_token: str, pending: PendingLogin) -> dict[str, Any]:
        claims = dict((await self._decode(id_token)).claims)
        self._validate(claims, "exp", "sub")
        if not hmac.compare_digest(str(claims.get("nonce", "")), pending.nonce):
            raise SignInError("the id_token's nonce does not match this sign-in")
        if not isinstance(claims.get("sid"), str) or not str(claims["sub"]).isdigit():
            raise SignInError("the id_token has no session id or no member id")
        return claims

    async def verify_logout_token(self, logout_token: str) -> dict[str, Any]:
        token = await self._decode(logout_token)
        if token.header.get("typ") != LOGOUT_TOKEN_TYPE:
            raise SignInError("not a logout token (typ)")
        claims = dict(token.claims)
        self._validate(claims, "exp", "jti")
        events = claims.get("events")
        if not isinstance(events, dict) or BACKCHANNEL_EVENT not in events:
            raise SignInError("the logout token has no back-channel logout event")
        if "nonce" in claims:
            raise SignInError("a logout token must not carry a nonce")
        if not isinstance(claims.get("sid"), str):
            raise SignInError("the logout token names no session (sid)")
        return claims


def _token_set(body: dict[str, Any]) -> TokenSet:
    expires_in = body.get("expires_in")
    return TokenSet(
        body["access_token"],
        body.get("refresh_token"),
        body["id_token"],
        int(expires_in) if isinstance(expires_in, int | str) and str(expires_in).isdigit() else 0,
    )
