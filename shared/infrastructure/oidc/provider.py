"""The provider's endpoints as async operations: prefetch, run Authlib, write.

Routes (federation/bp/oauth.py) read the request into a QuartOAuth2Request
and call one method here inside a unit of work; each applies its writes to
the unit's session and returns what to answer. The route answers only once
the unit has committed (leaving its `async with`), so a client is never told
of a code or token the database does not hold. See server.py for why the
work is split this way.
"""

from __future__ import annotations

import base64
import json
import logging
import time
from dataclasses import dataclass, replace
from typing import Any

import httpx
from authlib.common.urls import add_params_to_uri
from authlib.oauth2.rfc6749.errors import InvalidScopeError, OAuth2Error
from authlib.oauth2.rfc6749.util import extract_basic_authorization
from authlib.oidc.core.errors import ConsentRequiredError, LoginRequiredError
from authlib.oidc.rpinitiated import EndSessionRequest
from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts.dtos import UserRecord
from shared.contracts.protocols import IdentityService
from shared.infrastructure.oidc.logout import send_backchannel_logouts
from shared.infrastructure.oidc.logout_jobs import retry_unacknowledged
from shared.infrastructure.oidc.records import ClientRecord, TokenRecord
from shared.infrastructure.oidc.server import (
    Exchange,
    Provider,
    QuartOAuth2Request,
    RawResponse,
    RoseAshAuthorizationServer,
)
from shared.infrastructure.oidc.sessions import ProviderSession, ProviderSessions
from shared.infrastructure.oidc.store import (
    end_session_tokens,
    has_consent,
    load_clients,
    load_code,
    load_token,
    member_session_ids,
    revoke_member_tokens,
    save_consent,
)

log = logging.getLogger(__name__)
# prompt=login asks for a fresh sign-in: one within this many seconds counts.
FRESH_SIGN_IN_SECONDS = 120


@dataclass(frozen=True)
class Authorization:
    """What the authorization endpoint decided. Exactly one field is set."""

    response: RawResponse | None = None  # redirect to the client (code or error)
    error: str | None = None  # show an error page: never redirect to an unchecked URI
    login: bool = False  # the member must sign in (again), then come back
    consent: ClientRecord | None = None  # ask the member about this third-party client
    unverified: UserRecord | None = None  # a third-party client, an unconfirmed address
    scope: str = ""


@dataclass(frozen=True)
class Logout:
    """What the end-session endpoint decided."""

    response: RawResponse | None = None  # redirect to the client's post-logout URI
    error: str | None = None
    confirm: EndSessionRequest | None = None  # ask the member first (no id_token_hint)
    done: bool = False  # signed out: show the signed-out page


def _unverified_audience(id_token: str | None) -> str | None:
    """The `aud` of an id_token_hint, only to know which client to load; Authlib
    verifies the token itself."""
    if not id_token or id_token.count(".") != 2:
        return None
    try:
        payload = id_token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (ValueError, TypeError):
        return None
    aud = claims.get("aud") if isinstance(claims, dict) else None
    return aud if isinstance(aud, str) else None


def _wants(prompt: str, value: str) -> bool:
    return value in prompt.split()


class OpenIDProvider:
    def __init__(
        self,
        provider: Provider,
        sso: ProviderSessions,
        identity: IdentityService,
        http: httpx.AsyncClient,
    ) -> None:
        self.provider = provider
        self.sso = sso
        self.identity = identity
        self.http = http

    def _server(
        self, exchange: Exchange, request: QuartOAuth2Request
    ) -> RoseAshAuthorizationServer:
        return RoseAshAuthorizationServer(self.provider, exchange, request)

    async def _finish(self, session: AsyncSession, exchange: Exchange) -> None:
        """Apply what Authlib decided; the caller's unit of work commits it."""
        for write in exchange.writes:
            await write(session)

    async def _with_user(self, session: AsyncSession, exchange: Exchange, user_id: int) -> None:
        user = await self.identity.get_user(session, user_id)
        if user is not None:
            exchange.users[user_id] = user

    def _with_iss(self, response: RawResponse) -> RawResponse:
        if response.location:
            response.location = add_params_to_uri(response.location, {"iss": self.provider.issuer})
        return response

    async def token(self, session: AsyncSession, request: QuartOAuth2Request) -> RawResponse:
        exchange = Exchange()
        basic_id, _ = extract_basic_authorization(request.headers)
        exchange.clients = await load_clients(session, [basic_id, request.payload.client_id])
        grant_type = request.payload.grant_type
        if grant_type == "authorization_code" and request.form.get("code"):
            exchange.code = await load_code(session, request.form["code"])
            if exchange.code:
                await self._with_user(session, exchange, exchange.code.user_id)
        elif grant_type == "refresh_token" and request.form.get("refresh_token"):
            exchange.token = await load_token(
                session, request.form["refresh_token"], lock=True, only="refresh_token"
            )
            if exchange.token:
                await self._with_user(session, exchange, exchange.token.user_id)
        response = self._server(exchange, request).create_token_response(request)
        await self._finish(session, exchange)
        return response

    async def _token_endpoint(
        self, session: AsyncSession, request: QuartOAuth2Request, name: str
    ) -> RawResponse:
        exchange = Exchange()
        basic_id, _ = extract_basic_authorization(request.headers)
        exchange.clients = await load_clients(session, [basic_id, request.payload.client_id])
        if request.form.get("token"):
            exchange.token = await load_token(session, request.form["token"])
            if exchange.token:
                await self._with_user(session, exchange, exchange.token.user_id)
        response = self._server(exchange, request).create_endpoint_response(name, request)
        await self._finish(session, exchange)
        return response

    async def revoke(self, session: AsyncSession, request: QuartOAuth2Request) -> RawResponse:
        return await self._token_endpoint(session, request, "revocation")

    async def introspect(self, session: AsyncSession, request: QuartOAuth2Request) -> RawResponse:
        return await self._token_endpoint(session, request, "introspection")

    async def userinfo(self, session: AsyncSession, request: QuartOAuth2Request) -> RawResponse:
        exchange = Exchange()
        scheme, _, bearer = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() == "bearer" and bearer.strip():
            found = await load_token(session, bearer.strip(), only="access_token")
            if found:
                user = await self.identity.get_user(session, found.user_id)
                exchange.token = replace(found, user=user)
        return self._server(exchange, request).create_endpoint_response("userinfo", request)

    async def authorize(
        self,
        session: AsyncSession,
        request: QuartOAuth2Request,
        sso: ProviderSession | None,
        *,
        consent: bool | None = None,
    ) -> Authorization:
        """Run the authorization endpoint for the member of `sso` (or nobody).

        `consent` is the member's answer on the consent page (None: not asked yet).
        """
        exchange = Exchange(sso=sso)
        exchange.clients = await load_clients(session, [request.payload.client_id])
        user = await self.identity.get_user(session, sso.user_id) if sso else None
        if user is None:
            exchange.sso = sso = None
        server = self._server(exchange, request)
        try:
            grant = server.get_consent_grant(request, end_user=user)
        except OAuth2Error as error:
            return self._refusal(server, request, error)
        except ValueError as error:  # e.g. characters Authlib won't put in an error
            return Authorization(error=str(error))
        prompt = request.payload.data.get("prompt", "")
        if user is None or sso is None or self._needs_fresh_sign_in(request, sso):
            if _wants(prompt, "none"):
                return self._refusal(
                    server, request, LoginRequiredError(redirect_uri=grant.redirect_uri)
                )
            return Authorization(login=True)
        client: ClientRecord = grant.client
        asked = request.payload.data.get("scope", "").split()
        beyond = [s for s in asked if s not in client.scope.split()]
        if beyond:
            refused = InvalidScopeError(
                f"{client.name} may not ask for: {', '.join(beyond)}.",
                redirect_uri=grant.redirect_uri,
            )
            return self._refusal(server, request, refused)
        if not client.is_first_party and not user.email_verified:
            return Authorization(unverified=user)
        ask = not client.is_first_party and consent is None
        if ask and not await has_consent(session, user.id, client.id, request.scope):
            if _wants(prompt, "none"):
                return self._refusal(
                    server, request, ConsentRequiredError(redirect_uri=grant.redirect_uri)
                )
            return Authorization(consent=client, scope=request.scope)
        if consent is True:
            await save_consent(session, user.id, client.id, request.scope)
        granted: UserRecord | None = None if consent is False else user
        response = server.create_authorization_response(request, grant_user=granted, grant=grant)
        await self._finish(session, exchange)
        return Authorization(response=response)

    def _needs_fresh_sign_in(self, request: QuartOAuth2Request, sso: ProviderSession) -> bool:
        data = request.payload.data
        age = time.time() - sso.auth_time
        if _wants(data.get("prompt", ""), "login") and age > FRESH_SIGN_IN_SECONDS:
            return True
        max_age = data.get("max_age", "")
        return max_age.isdigit() and age > int(max_age)

    def _refusal(
        self, server: RoseAshAuthorizationServer, request: QuartOAuth2Request, error: OAuth2Error
    ) -> Authorization:
        error.state = request.payload.state
        if error.redirect_uri:
            return Authorization(
                response=self._with_iss(server.handle_error_response(request, error))
            )
        return Authorization(error=error.description or error.error)

    async def end_session(
        self,
        session: AsyncSession,
        request: QuartOAuth2Request,
        sso: ProviderSession | None,
        *,
        confirmed: bool = False,
    ) -> Logout:
        """RP-initiated logout: end the SSO session here and at every app."""
        exchange = Exchange(sso=sso)
        data = request.payload.data
        wanted = [data.get("client_id"), _unverified_audience(data.get("id_token_hint"))]
        exchange.clients = await load_clients(session, [c for c in wanted if c])
        server = self._server(exchange, request)
        try:
            validated: EndSessionRequest = server.validate_endpoint_request("end_session", request)
        except OAuth2Error as error:
            return Logout(error=error.description or error.error)
        if validated.needs_confirmation and not confirmed and sso is not None:
            return Logout(confirm=validated)
        response = server.create_endpoint_response("end_session", validated)
        sids = {sso.sid} if sso else set()
        hinted = (validated.id_token_claims or {}).get("sid")
        if isinstance(hinted, str):
            sids.add(hinted)
        for sid in sids:
            await self.sign_out_everywhere(session, sid)
        return Logout(response=response) if response else Logout(done=True)

    async def sign_out_everywhere(self, session: AsyncSession, sid: str) -> dict[str, bool]:
        """End SSO session `sid`: revoke its tokens (in the caller's unit), forget it, tell
        every app."""
        clients = await end_session_tokens(session, sid)
        await self.sso.end(sid)
        key, issuer = self.provider.key, self.provider.issuer
        acknowledged = await send_backchannel_logouts(self.http, key, issuer, clients, sid)
        # Whoever did not answer now is told by a retried job, committed with this unit.
        await retry_unacknowledged(session, sid, clients, acknowledged)
        return acknowledged

    async def sign_out_member(self, session: AsyncSession, user_id: int) -> None:
        """End every session and token of a member (after a password reset).

        The sessions are found in Redis's index and in the database's tokens
        (the index expires before app sessions do). The reset that calls this
        has already committed sessions_valid_after, which every app checks:
        what this cannot deliver now is ended anyway, once the app is reachable.
        """
        sids = set(await self.sso.sids_of(user_id)) | set(
            await member_session_ids(session, user_id)
        )
        for sid in sorted(sids):
            await self.sign_out_everywhere(session, sid)
        await revoke_member_tokens(session, user_id)


def json_body(response: RawResponse) -> Any:
    """A RawResponse body as JSON text, or the body itself when it already is text."""
    return response.body if isinstance(response.body, str) else json.dumps(response.body)


__all__ = ["Authorization", "Logout", "OpenIDProvider", "TokenRecord", "json_body"]
