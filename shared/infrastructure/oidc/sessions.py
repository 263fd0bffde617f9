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

    async def create(self, user_id: int, *, user_agent: str = "", ip: str = "") -> ProviderSession:
        """A new session; `user_agent` and `ip` are kept so the member can tell it apart."""
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
            "user_agent": user_agent[:300],
            "ip": ip[:64],
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
        key = _digest(cookie_value)
        raw = await self.redis.get(f"{PREFIX}:session:{key}")
        if raw is None:
            return None
        # When the session was last used, for the member's list of devices.
        await self.redis.set(f"{PREFIX}:seen:{key}", str(time.time()), ex=self.lifetime)
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
        await self.redis.delete(f"{PREFIX}:seen:{session_key.rsplit(':', 1)[1]}")
        if raw is not None:
            await self.redis.srem(f"{PREFIX}:user:{json.loads(raw)['user_id']}", sid)

    async def sids_of(self, user_id: int) -> list[str]:
        """The sids of the member's sessions that may still be live."""
        members = await self.redis.smembers(f"{PREFIX}:user:{user_id}")
        return sorted(m.decode() if isinstance(m, bytes) else m for m in members)

    async def details(self, sid: str) -> tuple[dict[str, object], float | None] | None:
        """What was stored for the live session `sid`, and when it was last used."""
        key = await self.redis.get(f"{PREFIX}:sid:{sid}")
        if key is None:
            return None
        key = key.decode() if isinstance(key, bytes) else key
        raw, seen = await self.redis.mget(f"{PREFIX}:session:{key}", f"{PREFIX}:seen:{key}")
        if raw is None:
            return None
        return json.loads(raw), float(seen) if seen is not None else None
