"""Back-channel logout (OpenID Connect Back-Channel Logout 1.0), the provider's side.

When an SSO session ends, federation POSTs a signed `logout_token` to every
app that got tokens in that session, server to server on its internal URL,
and waits (briefly) for each: by the time the member's browser lands
anywhere, every app has dropped its session.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Iterable, Sequence

import httpx
from joserfc import jwt

from shared.infrastructure.oidc.keys import ALGORITHM, SigningKey
from shared.infrastructure.oidc.records import ClientRecord

log = logging.getLogger(__name__)
BACKCHANNEL_EVENT = "http://schemas.openid.net/event/backchannel-logout"
LOGOUT_TOKEN_TYPE = "logout+jwt"
LOGOUT_TOKEN_SECONDS = 120
DELIVERY_TIMEOUT_SECONDS = 3.0


def make_logout_token(key: SigningKey, issuer: str, client_id: str, sid: str) -> str:
    now = int(time.time())
    claims = {
        "iss": issuer,
        "aud": client_id,
        "iat": now,
        "exp": now + LOGOUT_TOKEN_SECONDS,
        "jti": secrets.token_urlsafe(16),
        "sid": sid,
        "events": {BACKCHANNEL_EVENT: {}},
    }
    header = {"alg": ALGORITHM, "kid": key.kid, "typ": LOGOUT_TOKEN_TYPE}
    return jwt.encode(header, claims, key.key, algorithms=[ALGORITHM])


async def _deliver(http: httpx.AsyncClient, url: str, token: str, client_id: str) -> bool:
    try:
        response = await http.post(
            url, data={"logout_token": token}, timeout=DELIVERY_TIMEOUT_SECONDS
        )
    except httpx.HTTPError as exc:
        log.warning("back-channel logout to %s failed: %s", client_id, exc)
        return False
    if response.status_code != 200:
        log.warning("back-channel logout to %s answered %s", client_id, response.status_code)
        return False
    return True


async def send_backchannel_logouts(
    http: httpx.AsyncClient,
    key: SigningKey,
    issuer: str,
    clients: Iterable[ClientRecord],
    sid: str,
) -> dict[str, bool]:
    """Tell each client the session `sid` is over; which of them acknowledged."""
    targets = [(c.client_id, c.backchannel_logout_uri) for c in clients if c.backchannel_logout_uri]
    return await fan_out_logout(http, key, issuer, sid, [(cid, url or "") for cid, url in targets])


async def fan_out_logout(
    http: httpx.AsyncClient,
    key: SigningKey,
    issuer: str,
    sid: str,
    deliveries: Sequence[tuple[str, str]],
) -> dict[str, bool]:
    """Deliver the end of SSO session `sid` to each (client id, back-channel URL).

    Idempotent, and its data plain (a sid and client ids with URLs) so it can
    be a retried job: every call mints fresh logout tokens (new jti), and an
    app told twice finds nothing left to end the second time. Delivery is
    best effort on top of the guarantee that does not need it: apps check
    each session against the member's sessions_valid_after.
    """
    results = await asyncio.gather(
        *(
            _deliver(http, url, make_logout_token(key, issuer, client_id, sid), client_id)
            for client_id, url in deliveries
        )
    )
    return {client_id: ok for (client_id, _), ok in zip(deliveries, results, strict=True)}
