"""Back-channel logouts that did not get through at sign-out, retried as durable jobs.

Signing out (or a password reset) tells every app at once; an app that is
down or slow then gets a job of its own, enqueued in the sign-out's unit of
work, so it commits with the revoked tokens and is retried with backoff until
the app acknowledges. The member's `sessions_valid_after` already ends the
session when the app next sees it; this ends it without waiting for a visit.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from shared.infrastructure.jobs import enqueue, job_kind
from shared.infrastructure.jobs.context import JobContext
from shared.infrastructure.oidc.keys import load_signing_key
from shared.infrastructure.oidc.logout import fan_out_logout
from shared.infrastructure.oidc.records import ClientRecord

KIND = "sso.backchannel_logout"


class LogoutNotAcknowledged(RuntimeError):
    """The app did not answer 200 to its logout token (the job is retried)."""


async def retry_unacknowledged(
    session: AsyncSession,
    sid: str,
    clients: Iterable[ClientRecord],
    acknowledged: Mapping[str, bool],
) -> list[str]:
    """Enqueue a job for each client with a back-channel URL that did not acknowledge;
    which client ids got one. One job per (sid, client): a second sign-out adds none."""
    retried = []
    for client in clients:
        url = client.backchannel_logout_uri
        if url and not acknowledged.get(client.client_id, False):
            payload = {"sid": sid, "client_id": client.client_id, "url": url}
            await enqueue(session, KIND, payload, key=f"{sid}:{client.client_id}")
            retried.append(client.client_id)
    return retried


@job_kind(KIND, max_attempts=12, timeout=timedelta(seconds=30), max_backoff=timedelta(hours=1))
async def deliver_backchannel_logout(ctx: JobContext, payload: dict[str, Any]) -> None:
    key = load_signing_key(ctx.settings)
    issuer = ctx.settings.app("federation").base_url
    client_id, url = str(payload["client_id"]), str(payload["url"])
    # Internal URLs: never through an HTTP proxy.
    async with httpx.AsyncClient(trust_env=False) as http:
        results = await fan_out_logout(http, key, issuer, str(payload["sid"]), [(client_id, url)])
    if not results.get(client_id):
        raise LogoutNotAcknowledged(f"back-channel logout to {client_id} at {url} not acknowledged")
