"""Authlib's framework-neutral server core, fitted to Quart and to an async database.

Authlib's server is synchronous: its hooks (`query_client`,
`query_authorization_code`, `save_token`, ...) are plain calls in the middle
of the protocol logic. We do not run them in a thread against a second,
synchronous database stack; instead, per request:

1. `provider.py` reads the request (awaiting the form) and *prefetches*
   asynchronously everything the hooks can ask for (the client, the code or
   token presented, its member, the SSO session) into an `Exchange`;
2. a server is built around that exchange and Authlib runs, synchronously and
   without I/O, on the event loop: the hooks read from the exchange and queue
   their writes on it;
3. the queued writes are applied asynchronously in the request's transaction
   and committed; only then is the response sent.

The protocol stays Authlib's; no database call blocks the loop; one
transaction covers each request (codes and refresh tokens are read FOR
UPDATE, so concurrent replays serialize).
"""

from __future__ import annotations

import logging
import secrets
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from authlib.oauth2.rfc6749 import AuthorizationServer, OAuth2Request, ResourceProtector, grants
from authlib.oauth2.rfc6749.errors import InvalidRequestError
from authlib.oauth2.rfc6749.requests import OAuth2Payload
from authlib.oauth2.rfc6750 import BearerTokenGenerator, BearerTokenValidator
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oauth2.rfc7662 import IntrospectionEndpoint
from authlib.oauth2.rfc9207 import IssuerParameter
from authlib.oidc.core import OpenIDCode, UserInfoEndpoint
from authlib.oidc.rpinitiated import EndSessionEndpoint, EndSessionRequest

from shared.contracts.dtos import UserRecord
from shared.infrastructure.config import Settings
from shared.infrastructure.oidc.keys import ALGORITHM, SigningKey
from shared.infrastructure.oidc.records import (
    AuthorizationCodeRecord,
    ClientRecord,
    TokenRecord,
    digest,
)
from shared.infrastructure.oidc.scopes import SUPPORTED_SCOPES
from shared.infrastructure.oidc.sessions import ProviderSession
from shared.infrastructure.oidc.store import (
    NewCode,
    NewToken,
    Write,
    insert_code,
    insert_token,
    mark_code_used,
    revoke_family,
    revoke_token,
    revoke_tokens_of_code,
    rotate_token,
)

log = logging.getLogger(__name__)
CLIENT_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "none"]


class _MultiPayload(OAuth2Payload):
    """Parameters with every value kept, so repeated parameters can be refused."""

    def __init__(self, lists: Mapping[str, list[str]]) -> None:
        self._datalist = {key: list(values) for key, values in lists.items()}
        self._data = {key: values[0] for key, values in self._datalist.items() if values}

    @property
    def data(self) -> dict[str, str]:
        return self._data

    @property
    def datalist(self) -> dict[str, list[str]]:  # type: ignore[override]
        return self._datalist


class QuartOAuth2Request(OAuth2Request):
    """An OAuth2Request from what Quart gave us, read (awaited) beforehand.

    OAuth2Request.__init__ refuses non-https URLs; TLS ends at the proxy in
    front of us (the app always sees http), so that check cannot hold here
    and is left to the deployment.
    """

    def __init__(
        self,
        method: str,
        uri: str,
        headers: Mapping[str, str],
        args: Mapping[str, list[str]],
        form: Mapping[str, list[str]],
    ) -> None:
        self.method = method
        self.uri = uri
        self.headers = headers
        self._body = None
        self._args = {k: v[0] for k, v in args.items() if v}
        self._form = {k: v[0] for k, v in form.items() if v}
        merged = {k: list(v) for k, v in args.items()}
        for key, values in form.items():
            merged.setdefault(key, []).extend(values)
        self.payload = _MultiPayload(merged)
        self.client = None
        self.auth_method = None
        self.user = None
        self.authorization_code = None
        self.refresh_token = None
        self.credential = None
        self._scope = None

    @property
    def args(self) -> dict[str, str]:
        return self._args

    @property
    def form(self) -> dict[str, str]:
        return self._form


@dataclass
class RawResponse:
    """What Authlib answers, before it becomes a Quart response on the loop."""

    status: int
    body: Any
    headers: list[tuple[str, str]]

    @property
    def location(self) -> str | None:
        return next((v for k, v in self.headers if k.lower() == "location"), None)

    @location.setter
    def location(self, value: str) -> None:
        self.headers = [(k, v) for k, v in self.headers if k.lower() != "location"]
        self.headers.append(("Location", value))


@dataclass(frozen=True)
class Provider:
    """The long-lived part: settings, the signing key and the issuer URL."""

    settings: Settings
    key: SigningKey

    @property
    def issuer(self) -> str:
        return self.settings.app("federation").base_url


@dataclass
class Exchange:
    """One request's prefetched data, and the writes its hooks queued."""

    clients: dict[str, ClientRecord] = field(default_factory=dict)
    code: AuthorizationCodeRecord | None = None
    token: TokenRecord | None = None
    users: dict[int, UserRecord] = field(default_factory=dict)
    sso: ProviderSession | None = None
    writes: list[Write] = field(default_factory=list)
    ended: EndSessionRequest | None = None


def user_claims(user: UserRecord, scope: str) -> dict[str, Any]:
    """The member as OpenID claims, limited to what `scope` allows."""
    granted = set(scope.split())
    claims: dict[str, Any] = {"sub": str(user.id)}
    if "profile" in granted:
        claims.update(name=user.display_name, preferred_username=user.username)
    if "email" in granted:
        claims.update(email=user.email, email_verified=user.email_verified)
    return claims


def _now() -> datetime:
    return datetime.now(UTC)


class _Hooks:
    """Mixed into grants and endpoints: the server's exchange and provider."""

    server: RoseAshAuthorizationServer

    @property
    def exchange(self) -> Exchange:
        return self.server.exchange

    @property
    def provider(self) -> Provider:
        return self.server.provider


class StrictPkce(CodeChallenge):
    """PKCE with S256 for every client: no `plain`, no missing challenge or verifier."""

    DEFAULT_CODE_CHALLENGE_METHOD = "S256"
    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]

    def validate_code_challenge(self, grant: Any, redirect_uri: str) -> None:
        data = grant.request.payload.data
        if not data.get("code_challenge"):
            raise InvalidRequestError("PKCE is required: send a code_challenge (S256).")
        # A challenge without a method means `plain` (RFC 7636 4.3): refuse it too.
        if data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("Only code_challenge_method=S256 is supported.")
        super().validate_code_challenge(grant, redirect_uri)

    def validate_code_verifier(self, grant: Any, result: Any) -> None:
        if not grant.request.form.get("code_verifier"):
            raise InvalidRequestError("PKCE is required: send the code_verifier.")
        super().validate_code_verifier(grant, result)


class OpenIDCodeExtension(OpenIDCode):
    """id_tokens signed RS256 with our key, carrying `sid` and `auth_time`."""

    def __init__(self, provider: Provider) -> None:
        super().__init__(require_nonce=False)
        self.provider = provider

    def exists_nonce(self, nonce: str, request: Any) -> bool:
        # The nonce protects the client, which checks it; codes are single-use.
        return False

    def resolve_client_private_key(self, client: ClientRecord) -> Any:
        return self.provider.key.key

    def get_client_algorithm(self, client: ClientRecord) -> str:
        return ALGORITHM

    def get_encode_header(self, client: ClientRecord) -> dict[str, str]:
        return {"alg": ALGORITHM, "kid": self.provider.key.kid, "typ": "JWT"}

    def get_client_claims(self, client: ClientRecord) -> dict[str, Any]:
        now = int(time.time())
        lifetime = self.provider.settings.oidc.id_token_seconds
        return {
            "iss": self.provider.issuer,
            "aud": client.client_id,
            "azp": client.client_id,
            "iat": now,
            "exp": now + lifetime,
        }

    def get_authorization_code_claims(self, authorization_code: Any) -> dict[str, Any]:
        claims: dict[str, Any] = super().get_authorization_code_claims(authorization_code)
        if authorization_code.session_id:
            claims["sid"] = authorization_code.session_id
        return claims

    def generate_user_info(self, user: UserRecord, scope: str) -> dict[str, Any]:
        return user_claims(user, scope)


class OpenIDRefreshExtension(OpenIDCodeExtension):
    """A refresh answers with a fresh id_token too (OIDC Core 12.2): same `sub` and `sid`,
    no nonce, and no `auth_time` (the refresh token does not know the original one)."""

    def __call__(self, grant: Any) -> None:
        grant.register_hook("after_create_token_response", self.process_token)

    def get_compatible_claims(self, request: Any) -> dict[str, Any]:
        claims: dict[str, Any] = super().get_compatible_claims(request)
        claims.pop("auth_time", None)
        token = request.refresh_token
        if token is not None and token.session_id:
            claims["sid"] = token.session_id
        return claims


class AuthorizationCodeGrant(_Hooks, grants.AuthorizationCodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = CLIENT_AUTH_METHODS

    def save_authorization_code(self, code: str, request: Any) -> None:
        sso = self.exchange.sso
        data = request.payload.data
        self.exchange.writes.append(
            insert_code(
                NewCode(
                    code=code,
                    client_pk=request.client.id,
                    user_id=request.user.id,
                    redirect_uri=request.payload.redirect_uri,
                    scope=request.scope,
                    nonce=data.get("nonce"),
                    code_challenge=data["code_challenge"],
                    code_challenge_method=data["code_challenge_method"],
                    session_id=sso.sid if sso else None,
                    auth_time=datetime.fromtimestamp(sso.auth_time, UTC) if sso else None,
                    expires_at=_now() + timedelta(seconds=self.provider.settings.oidc.code_seconds),
                )
            )
        )

    def query_authorization_code(
        self, code: str, client: ClientRecord
    ) -> AuthorizationCodeRecord | None:
        found = self.exchange.code
        if found is None or found.client_pk != client.id:
            return None
        if found.used_at is not None:
            log.warning("authorization code %s replayed: revoking what it issued", found.id)
            self.exchange.writes.append(revoke_tokens_of_code(found.id))
            return None
        if found.is_expired():
            return None
        return found

    def delete_authorization_code(self, authorization_code: AuthorizationCodeRecord) -> None:
        self.exchange.writes.append(mark_code_used(authorization_code.id))

    def authenticate_user(self, authorization_code: AuthorizationCodeRecord) -> UserRecord | None:
        return self.exchange.users.get(authorization_code.user_id)


class RefreshTokenGrant(_Hooks, grants.RefreshTokenGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = CLIENT_AUTH_METHODS
    INCLUDE_NEW_REFRESH_TOKEN = True  # rotation: every refresh returns a new one

    def authenticate_refresh_token(self, refresh_token: str) -> TokenRecord | None:
        found = self.exchange.token
        if found is None or found.presented_as != "refresh_token":
            return None
        if found.revoked_at is not None or found.rotated_at is not None:
            # Reuse of a spent refresh token: someone has a copy. End the family.
            log.warning("refresh token of family %s reused: revoking the family", found.family_id)
            self.exchange.writes.append(revoke_family(found.family_id))
            return None
        return None if found.is_expired() else found

    def authenticate_user(self, refresh_token: TokenRecord) -> UserRecord | None:
        return self.exchange.users.get(refresh_token.user_id)

    def revoke_old_credential(self, refresh_token: TokenRecord) -> None:
        self.exchange.writes.append(rotate_token(refresh_token.id))


class Revocation(_Hooks, RevocationEndpoint):
    CLIENT_AUTH_METHODS = CLIENT_AUTH_METHODS

    def query_token(self, token_string: str, token_type_hint: str | None) -> TokenRecord | None:
        return self.exchange.token

    def revoke_token(self, token: TokenRecord, request: Any) -> None:
        if token.presented_as == "refresh_token":
            self.exchange.writes.append(revoke_family(token.family_id))
        else:
            self.exchange.writes.append(revoke_token(token.id))


class Introspection(_Hooks, IntrospectionEndpoint):
    CLIENT_AUTH_METHODS = CLIENT_AUTH_METHODS

    def query_token(self, token_string: str, token_type_hint: str | None) -> TokenRecord | None:
        return self.exchange.token

    def check_permission(self, token: TokenRecord, client: ClientRecord, request: Any) -> bool:
        # The client it was issued to, or one of our apps acting as a resource server.
        return token.client_pk == client.id or client.is_first_party

    def introspect_token(self, token: TokenRecord) -> dict[str, Any]:
        user = self.exchange.users.get(token.user_id)
        expires = token.expires_at()
        client_id = token.client.client_id if token.client else None
        body: dict[str, Any] = {
            "active": True,
            "client_id": client_id,
            "token_type": "Bearer" if token.presented_as == "access_token" else "refresh_token",
            "scope": token.scope,
            "sub": str(token.user_id),
            "aud": client_id,
            "iss": self.provider.issuer,
            "iat": int(token.issued_at.timestamp()),
            "exp": int(expires.timestamp()) if expires else None,
        }
        if user:
            body["username"] = user.username
        if token.session_id:
            body["sid"] = token.session_id
        return body


class _AccessTokens(BearerTokenValidator):
    def __init__(self, exchange: Exchange) -> None:
        super().__init__()
        self.exchange = exchange

    def authenticate_token(self, token_string: str) -> TokenRecord | None:
        found = self.exchange.token
        return found if found and found.presented_as == "access_token" else None


class _RequestProtector(ResourceProtector):
    """Authlib's core protector bound to one request (UserInfo calls acquire_token)."""

    def __init__(self, request: QuartOAuth2Request, exchange: Exchange) -> None:
        super().__init__()
        self.request = request
        self.register_token_validator(_AccessTokens(exchange))

    def acquire_token(self, scopes: str | list[str]) -> TokenRecord:
        return self.validate_request([scopes] if isinstance(scopes, str) else scopes, self.request)


class UserInfo(UserInfoEndpoint):
    def __init__(self, provider: Provider, protector: _RequestProtector) -> None:
        super().__init__(resource_protector=protector)
        self.provider = provider

    def generate_user_info(self, user: UserRecord, scope: str) -> dict[str, Any]:  # type: ignore[override]
        return user_claims(user, scope)

    def get_issuer(self) -> str:
        return self.provider.issuer


class EndSession(_Hooks, EndSessionEndpoint):
    def get_server_jwks(self) -> dict[str, Any]:
        return self.provider.key.public_jwks()

    def get_algorithms(self) -> list[str]:
        return [ALGORITHM]

    def is_post_logout_redirect_uri_legitimate(
        self, request: Any, post_logout_redirect_uri: str, client: Any, logout_hint: str | None
    ) -> bool:
        # Our own apps may send a member home after a confirmed sign-out.
        return bool(client and client.is_first_party)

    def end_session(self, end_session_request: EndSessionRequest) -> None:
        self.exchange.ended = end_session_request  # acted upon asynchronously


class _Issuer(IssuerParameter):
    def __init__(self, issuer: str) -> None:
        self.issuer = issuer

    def get_issuer(self) -> str:
        return self.issuer


def _random_token(**_: Any) -> str:
    return secrets.token_urlsafe(32)


class RoseAshAuthorizationServer(AuthorizationServer):
    """Built per request around that request's Exchange; does no I/O."""

    def __init__(self, provider: Provider, exchange: Exchange, request: QuartOAuth2Request):
        super().__init__(scopes_supported=SUPPORTED_SCOPES)
        self.provider = provider
        self.exchange = exchange
        oidc = provider.settings.oidc
        self.register_token_generator(
            "default",
            BearerTokenGenerator(_random_token, _random_token, oidc.access_token_seconds),
        )
        self.register_grant(AuthorizationCodeGrant, [StrictPkce(), OpenIDCodeExtension(provider)])
        self.register_grant(RefreshTokenGrant, [OpenIDRefreshExtension(provider)])
        self.register_extension(_Issuer(provider.issuer))
        self.register_endpoint(Revocation)
        self.register_endpoint(Introspection)
        self.register_endpoint(EndSession)
        self.register_endpoint(UserInfo(provider, _RequestProtector(request, exchange)))

    def query_client(self, client_id: str) -> ClientRecord | None:
        return self.exchange.clients.get(client_id)

    def save_token(self, token: dict[str, Any], request: Any) -> None:
        now = _now()
        if request.authorization_code is not None:
            code = request.authorization_code
            family, code_id, sid = uuid.uuid4(), code.id, code.session_id
        else:
            old = request.refresh_token
            family, code_id, sid = old.family_id, old.authorization_code_id, old.session_id
        refresh = token.get("refresh_token")
        refresh_days = self.provider.settings.oidc.refresh_token_days
        self.exchange.writes.append(
            insert_token(
                NewToken(
                    client_pk=request.client.id,
                    user_id=request.user.id,
                    access_token=token["access_token"],
                    refresh_token=refresh,
                    scope=token.get("scope", ""),
                    family_id=family,
                    authorization_code_id=code_id,
                    session_id=sid,
                    access_expires_at=now + timedelta(seconds=int(token["expires_in"])),
                    refresh_expires_at=now + timedelta(days=refresh_days) if refresh else None,
                )
            )
        )

    def create_oauth2_request(self, request: Any) -> Any:
        return request

    def create_json_request(self, request: Any) -> Any:
        return request

    def handle_response(self, status: int, body: Any, headers: Any) -> RawResponse:
        return RawResponse(status, body, list(headers))

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        return None


__all__ = ["Exchange", "Provider", "QuartOAuth2Request", "RawResponse", "digest", "user_claims"]
