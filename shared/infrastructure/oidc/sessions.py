"""federation's single sign-on session: who is signed in at the provider, in Redis.

The browser holds an opaque random id in a host-only cookie on federation;
Redis holds the member, the OpenID `sid` (a separate random value: it goes
into id_tokens, the cookie value never leaves federation) and when they
signed in. Keys are hashes of the cookie value.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from dataclasses import dataclass

from redis.asyncio import Redis

PREFIX = "ra:op"


@dataclass(frozen=True, slots=True)
class ProviderSession:
    cookie_value: str
    user_id: int
    sid: str
    auth_time: int
    # auth_time to the microsecond: compared with the member's sessions_valid_after.
    started_at: float = 0.0


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


class ProviderSessions:
    def __init__(self, redis: Redis, lifetime_seconds: int) -> None:
        self.redis = redis
        self.lifetime = lifetime_seconds

    async def create(self, user_id: int) -> ProviderSession:
        now = time.time()
        session = ProviderSession(
            cookie_value=secrets.token_urlsafe(32),
            user_id=user_id,
            sid=secrets.token_urlsafe(24),
            auth_time=int(now),
            started_at=now,
        )
        data = {
            "user_id": user_id,
            "sid": session.sid,
            "auth_time": session.auth_time,
            "started_at": now,
        }
        key = _digest(session.cookie_value)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.set(f"{PREFIX}:session:{key}", json.dumps(data), ex=self.lifetime)
            pipe.set(f"{PREFIX}:sid:{session.sid}", key, ex=self.lifetime)
            # Every sid of a member, so a password reset can end them all.
            pipe.sadd(f"{PREFIX}:user:{user_id}", session.sid)
            pipe.expire(f"{PREFIX}:user:{user_id}", self.lifetime)
            await pipe.execute()
        return session

    async def get(self, cookie_value: str | None) -> ProviderSession | None:
        if not cookie_value:
            return None
        raw = await self.redis.get(f"{PREFIX}:session:{_digest(cookie_value)}")
        if raw is None:
            return None
        data = json.loads(raw)
        auth_time = int(data["auth_time"])
        started_at = float(data.get("started_at", auth_time))
        return ProviderSession(
            cookie_value, int(data["user_id"]), data["sid"], auth_time, started_at
        )

    async def end(self, sid: str) -> None:
        """Forget the session with this sid (whoever's browser holds it)."""
        key = await self.redis.getdel(f"{PREFIX}:sid:{sid}")
        if key is None:
            return
        session_key = f"{PREFIX}:session:{(key.decode() if isinstance(key, bytes) else key)}"
        raw = await self.redis.getdel(session_key)
        if raw is not None:
            await self.redis.srem(f"{PREFIX}:user:{json.loads(raw)['user_id']}", sid)

    async def sids_of(self, user_id: int) -> list[str]:
        """The sids of the member's sessions that may still be live."""
        members = await self.redis.smembers(f"{PREFIX}:user:{user_id}")
        return sorted(m.decode() if isinstance(m, bytes) else m for m in members)
