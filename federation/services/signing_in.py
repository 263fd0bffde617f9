"""What every way of signing in at federation ends with: the second factor, if the member
has one, then the provider session (federation's single sign-on cookie).

A password or a sign-in link proves one factor. A member with an authenticator
app or a passkey is then asked for a code or the passkey: until it is given,
the sign-in waits in Redis (`PendingSecondFactors`, ten minutes) behind a
cookie of its own, and no provider session exists. A passkey proves possession
and presence at once, so signing in with one starts the provider session
directly.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass

from quart import Response, current_app, redirect, render_template, request
from redis.asyncio import Redis

from federation.services.provider import provider_state
from shared.contracts.dtos import UserRecord
from shared.infrastructure.rate_limit import address_bucket
from shared.infrastructure.runtime import request_session, runtime, unit_of_work
from shared.services.registry import services

PENDING_SECONDS = 600
SECOND_FACTOR_PATH = "/signin/second-factor"


def client_ip() -> str:
    """The unit per-address limits count: the address, or its /64 for IPv6."""
    return address_bucket(request.remote_addr)


async def too_many(retry_after: int) -> Response:
    minutes = max(1, round(retry_after / 60))
    html = await render_template(
        "errors/error.html",
        code=429,
        title="Slow down a little",
        message=f"Too many attempts. Please wait about {minutes} minute"
        f"{'s' if minutes != 1 else ''} and try again.",
    )
    return Response(html, status=429, headers={"Retry-After": str(retry_after)})


@dataclass(frozen=True, slots=True)
class PendingSecondFactor:
    user_id: int
    next_path: str


class PendingSecondFactors:
    """Sign-ins that proved a first factor and wait for the second, in Redis."""

    def __init__(self, redis: Redis) -> None:
        self.redis = redis

    @staticmethod
    def _key(cookie_value: str) -> str:
        return "ra:op:2fa:" + hashlib.sha256(cookie_value.encode()).hexdigest()

    async def create(self, pending: PendingSecondFactor) -> str:
        cookie_value = secrets.token_urlsafe(32)
        data = {"user_id": pending.user_id, "next_path": pending.next_path}
        await self.redis.set(self._key(cookie_value), json.dumps(data), ex=PENDING_SECONDS)
        return cookie_value

    async def get(self, cookie_value: str | None) -> PendingSecondFactor | None:
        if not cookie_value or len(cookie_value) > 100:
            return None
        raw = await self.redis.get(self._key(cookie_value))
        return PendingSecondFactor(**json.loads(raw)) if raw else None

    async def end(self, cookie_value: str) -> None:
        await self.redis.delete(self._key(cookie_value))


def pending_second_factors() -> PendingSecondFactors:
    return PendingSecondFactors(runtime(current_app).redis)


def second_factor_cookie() -> str:
    return provider_state(current_app).cookie + "_2fa"


async def start_provider_session(user: UserRecord, next_path: str) -> Response:
    """Sign the member in at the provider (replacing any earlier provider session)."""
    state = provider_state(current_app)
    sessions = state.provider_sessions(current_app)
    previous = await sessions.get(request.cookies.get(state.cookie))
    if previous is not None:
        openid = state.openid(current_app)
        async with unit_of_work(current_app) as uow:
            await openid.sign_out_everywhere(uow.session, previous.sid)
    session = await sessions.create(
        user.id, user_agent=request.headers.get("User-Agent", ""), ip=request.remote_addr or ""
    )
    response = redirect(next_path)
    state.set_provider_cookie(response, session)
    response.delete_cookie(second_factor_cookie(), path="/")
    return response


async def complete_sign_in(user: UserRecord, next_path: str) -> Response:
    """After a first factor: ask for the second if the member has one, else sign in."""
    session = request_session(current_app)
    has_second = await services.two_factor.has_totp(session, user.id)
    if not has_second and not await services.passkeys.has_passkeys(session, user.id):
        return await start_provider_session(user, next_path)
    cookie_value = await pending_second_factors().create(PendingSecondFactor(user.id, next_path))
    response = redirect(SECOND_FACTOR_PATH)
    state = provider_state(current_app)
    response.set_cookie(
        second_factor_cookie(),
        cookie_value,
        max_age=PENDING_SECONDS,
        httponly=True,
        samesite="Lax",
        secure=state.secure_cookie,
        path="/",
    )
    return response
