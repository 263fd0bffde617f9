"""Bearer tokens of the client API: our authorization server's access tokens, and
Mastodon's scope rules (`write` covers `write:statuses`; `follow` the follow parts)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from quart import current_app, request

from shared.contracts.social import SocialError
from shared.infrastructure.oidc.store import load_token
from shared.infrastructure.runtime import request_session


@dataclass(frozen=True, slots=True)
class ApiCaller:
    user_id: int
    scopes: frozenset[str]
    client_pk: int


def covers(granted: frozenset[str], needed: str) -> bool:
    """Whether the granted scopes allow `needed` ("write:statuses" is allowed by
    "write" too; "write:follows" and "read:follows" also by "follow")."""
    if needed in granted or needed.split(":", 1)[0] in granted:
        return True
    follow_parts = {"read:follows", "write:follows", "read:blocks", "write:blocks",
                    "read:mutes", "write:mutes"}  # fmt: skip
    return needed in follow_parts and "follow" in granted


async def caller(needed: str | None = None, *, optional: bool = False) -> ApiCaller | None:
    """The member the bearer token is for, checked for `needed`. SocialError 401 without
    a live token (None instead when `optional` and no token came), 403 outside its
    scopes."""
    header = request.headers.get("Authorization", "")
    if not header.lower().startswith("bearer "):
        if optional:
            return None
        raise SocialError("The access token is invalid", 401)
    token = await load_token(request_session(current_app), header[7:].strip(), only="access_token")
    now = datetime.now(UTC)
    if token is None or token.revoked_at is not None or token.access_expires_at <= now:
        raise SocialError("The access token is invalid", 401)
    granted = frozenset(token.scope.split())
    if needed is not None and not covers(granted, needed):
        raise SocialError("This action is outside the authorized scopes", 403)
    return ApiCaller(token.user_id, granted, token.client_pk)


async def member(needed: str) -> ApiCaller:
    found = await caller(needed)
    assert found is not None
    return found
