"""Each app's own server-side sessions, in Redis, behind an opaque cookie.

The cookie holds a random id; Redis holds (under its hash) the member, the
provider's `sid` and the tokens. `sid → sessions` is indexed so back-channel
logout can end every session of one SSO session. Pending sign-ins (`state`,
`nonce`, PKCE verifier, where to return) are kept here too, never in a cookie.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from dataclasses import asdict, dataclass, replace

from redis.asyncio import Redis

PENDING_LOGIN_SECONDS = 600
# Federation's own session as the provider (federation/services/provider.py).
PROVIDER_COOKIE = "ra_sso"
# No cookie we mint is longer; a longer one is not looked up.
MAX_COOKIE_LENGTH = 200
# A silent check comes straight back (no form to fill in): it needs far less.
SILENT_PENDING_SECONDS = 120


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def session_digest(cookie_value: str) -> str:
    """What names a session in Redis (and a member's cached pages): never the cookie itself."""
    return _digest(cookie_value)


def session_key(app_name: str, digest: str) -> str:
    """The Redis key of app `app_name`'s session whose cookie has this digest."""
    return f"ra:sess:{app_name}:s:{digest}"


@dataclass(frozen=True, slots=True)
class AppSession:
    cookie_value: str
    user_id: int
    op_sid: str
    id_token: str
    access_token: str
    refresh_token: str | None
    created_at: float  # Unix time, to the microsecond (older sessions: whole seconds)
    # When the access token expires (Unix time); 0: unknown (sessions made before this).
    access_expires_at: float = 0.0


@dataclass(frozen=True, slots=True)
class PendingLogin:
    state: str
    nonce: str
    code_verifier: str
    next_path: str
    silent: bool
    browser: str  # the value of this browser's login cookie: binds state to the browser


class AppSessions:
    def __init__(self, redis: Redis, app_name: str, lifetime_seconds: int) -> None:
        self.redis = redis
        self.app_name = app_name
        self.prefix = f"ra:sess:{app_name}"
        self.lifetime = lifetime_seconds

    def _key(self, cookie_value: str) -> str:
        return session_key(self.app_name, _digest(cookie_value))

    def _sid_key(self, op_sid: str) -> str:
        return f"{self.prefix}:sid:{op_sid}"

    async def create(
        self,
        *,
        user_id: int,
        op_sid: str,
        id_token: str,
        access_token: str,
        refresh_token: str | None,
        access_expires_at: float = 0.0,
    ) -> AppSession:
        session = AppSession(
            cookie_value=secrets.token_urlsafe(32),
            user_id=user_id,
            op_sid=op_sid,
            id_token=id_token,
            access_token=access_token,
            refresh_token=refresh_token,
            created_at=time.time(),
            access_expires_at=access_expires_at,
        )
        data = asdict(session)
        del data["cookie_value"]
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.set(self._key(session.cookie_value), json.dumps(data), ex=self.lifetime)
            pipe.sadd(self._sid_key(op_sid), _digest(session.cookie_value))
            pipe.expire(self._sid_key(op_sid), self.lifetime)
            await pipe.execute()
        return session

    async def get(self, cookie_value: str | None) -> AppSession | None:
        if not cookie_value or len(cookie_value) > MAX_COOKIE_LENGTH:
            return None
        raw = await self.redis.get(self._key(cookie_value))
        if raw is None:
            return None
        return AppSession(cookie_value=cookie_value, **json.loads(raw))

    async def replace_tokens(
        self,
        session: AppSession,
        *,
        id_token: str,
        access_token: str,
        refresh_token: str | None,
        access_expires_at: float,
    ) -> AppSession | None:
        """The session with refreshed tokens (same cookie, same lifetime left), or None
        when it ended meanwhile."""
        key = self._key(session.cookie_value)
        ttl = int(await self.redis.ttl(key))
        if ttl <= 0:
            return None
        fresh = replace(
            session,
            id_token=id_token,
            access_token=access_token,
            refresh_token=refresh_token,
            access_expires_at=access_expires_at,
        )
        data = asdict(fresh)
        del data["cookie_value"]
        # XX: a session deleted meanwhile (signed out) is not brought back.
        await self.redis.set(key, json.dumps(data), ex=ttl, xx=True)
        return fresh

    async def lock_refresh(self, session: AppSession, seconds: int) -> bool:
        """True for the one request that may refresh this session's tokens now: two
        refreshing at once would present the same refresh token twice, which revokes
        its family."""
        return bool(await self.redis.set(self._lock_key(session), 1, nx=True, ex=seconds))

    async def unlock_refresh(self, session: AppSession) -> None:
        await self.redis.delete(self._lock_key(session))

    def _lock_key(self, session: AppSession) -> str:
        return f"{self.prefix}:refresh:{_digest(session.cookie_value)}"

    async def delete(self, session: AppSession) -> None:
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.delete(self._key(session.cookie_value))
            pipe.srem(self._sid_key(session.op_sid), _digest(session.cookie_value))
            await pipe.execute()

    async def delete_by_sid(self, op_sid: str) -> int:
        """End every session of this app that came from SSO session `op_sid`; how many."""
        digests = await self.redis.smembers(self._sid_key(op_sid))
        keys = [
            session_key(self.app_name, d.decode() if isinstance(d, bytes) else d) for d in digests
        ]
        removed = int(await self.redis.delete(*keys)) if keys else 0
        await self.redis.delete(self._sid_key(op_sid))
        return removed

    async def save_pending(self, pending: PendingLogin) -> None:
        await self.redis.set(
            f"{self.prefix}:login:{_digest(pending.state)}",
            json.dumps(asdict(pending)),
            ex=SILENT_PENDING_SECONDS if pending.silent else PENDING_LOGIN_SECONDS,
        )

    async def take_pending(self, state: str | None) -> PendingLogin | None:
        """The pending sign-in for `state`, at most once."""
        if not state or len(state) > MAX_COOKIE_LENGTH:
            return None
        raw = await self.redis.getdel(f"{self.prefix}:login:{_digest(state)}")
        return PendingLogin(**json.loads(raw)) if raw else None

    async def remember_jti(self, jti: str, seconds: int) -> bool:
        """True the first time a logout token's jti is seen (replay protection)."""
        return bool(
            await self.redis.set(f"{self.prefix}:jti:{_digest(jti)}", 1, nx=True, ex=seconds)
        )
