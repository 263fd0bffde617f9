"""Receiving a POST to an inbox: the route's handler, with the limits an open endpoint needs.

In order, each step cheaper than the next: the sender's address within its
rate (429), the body within MAX_INBOX_BYTES by its Content-Length and while
it streams (413), the key's host within its rate (429) and not blocked by an
admin (403), the signature
(401; 503 when key fetches are saturated), the JSON storable and the
activity the signer's own (400/401). Then it is stored and answered 202; its
processing runs in the background when a place is free, otherwise the
EventProcessor picks it up.

No database connection is held while the signer's key is fetched: the
recipient was looked up (and its session committed) before, the key lookup
uses short transactions of its own, and storing opens the request session
again only at the end.
"""

from __future__ import annotations

import json
import logging
import math
from typing import Any
from urllib.parse import urlsplit

from quart import Response, current_app, request
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from werkzeug.exceptions import RequestEntityTooLarge

from shared.infrastructure.activitypub.context import ap_runtime
from shared.infrastructure.activitypub.delivery import heard_from
from shared.infrastructure.activitypub.http import FederationClient
from shared.infrastructure.activitypub.inbox import (
    InboxError,
    check_activity,
    parse_activity,
    process_inbound,
    store_inbound,
)
from shared.infrastructure.activitypub.limits import InboundLimits, KeyFetchBusyError
from shared.infrastructure.activitypub.remote import first_id
from shared.infrastructure.activitypub.signatures import (
    IncomingRequest,
    SignatureError,
    parse_signature,
)
from shared.infrastructure.activitypub.verify import KeyGoneError, key_host, verify_request
from shared.infrastructure.runtime import runtime, unit_of_work
from shared.services.registry import services

log = logging.getLogger(__name__)

# Activities are a few KB; Mastodon's largest are well under this.
MAX_INBOX_BYTES = 256 * 1024
BUSY_RETRY_AFTER = 30


def _answer(document: dict[str, Any], status: int, retry_after: float | None = None) -> Response:
    response = Response(json.dumps(document), status=status, content_type="application/json")
    if retry_after is not None:
        response.headers["Retry-After"] = str(max(1, math.ceil(retry_after)))
    return response


def _headers() -> dict[str, str]:
    """The request's headers, names lower case, repeated ones joined as HTTP allows."""
    joined: dict[str, list[str]] = {}
    for name, value in request.headers.items():
        joined.setdefault(name.lower(), []).append(value)
    return {name: ", ".join(values) for name, values in joined.items()}


async def _read_body(limit: int) -> bytes | None:
    """The body, or None as soon as it is known to be longer than `limit`."""
    if request.content_length is not None and request.content_length > limit:
        return None
    chunks, size = [], 0
    try:
        async for chunk in request.body:
            size += len(chunk)
            if size > limit:
                return None
            chunks.append(chunk)
    except RequestEntityTooLarge:  # past the app-wide limit before we counted it
        return None
    return b"".join(chunks)


def _is_self_delete(body: bytes) -> bool:
    try:
        activity = parse_activity(body)
    except InboxError:
        return False
    if not isinstance(activity, dict) or activity.get("type") != "Delete":
        return False
    actor = first_id(activity.get("actor"))
    return actor is not None and actor == first_id(activity.get("object"))


async def receive(recipient: str | None) -> Response:
    """Verify, check and store one delivery to our actor `recipient`'s inbox (its id;
    None: the shared one)."""
    rt = ap_runtime(current_app)
    limits = rt.client.limits
    wait = limits.per_source.allow(request.remote_addr or "")
    if wait is not None:
        return _answer({"error": "too many requests from your address"}, 429, wait)
    body = await _read_body(MAX_INBOX_BYTES)
    if body is None:
        return _answer({"error": f"the activity is larger than {MAX_INBOX_BYTES} bytes"}, 413)
    raw_path = request.scope.get("raw_path") or request.path.encode()
    incoming = IncomingRequest(
        method=request.method,
        scheme=rt.scheme,
        path=raw_path.decode("latin-1"),
        query=request.query_string.decode("latin-1"),
        headers=_headers(),
        body=body,
    )
    sessions = runtime(current_app).db.sessions
    assert sessions is not None
    try:
        host = key_host(parse_signature(incoming).key_id)
        wait = limits.per_key_host.allow(host)
        if wait is not None:
            return _answer({"error": "too many requests signed by your host"}, 429, wait)
        async with sessions() as session:
            blocked = await services.social.is_domain_blocked(session, host)
        if blocked:  # an admin's domain block: nothing of theirs is verified or stored
            return _answer({"error": "your server is blocked here"}, 403)
        signer = await verify_request(sessions, rt.settings, rt.client, incoming)
        activity = check_activity(parse_activity(body), signer)
    except KeyGoneError as exc:
        if _is_self_delete(body):
            # A deleted account announcing its own deletion: nothing of it to verify
            # or keep. 202 so its server stops retrying, as Mastodon answers.
            log.info("inbox %s: 202 for the Delete of a gone actor (%s)", request.path, exc)
            return _answer({"status": "accepted"}, 202)
        log.info("inbox %s: 401 %s", request.path, exc)
        return _answer({"error": str(exc)}, 401)
    except SignatureError as exc:
        log.info("inbox %s: 401 %s", request.path, exc)
        return _answer({"error": str(exc)}, 401)
    except KeyFetchBusyError as exc:
        return _answer({"error": str(exc)}, 503, BUSY_RETRY_AFTER)
    except InboxError as exc:
        return _answer({"error": str(exc)}, exc.status)
    async with unit_of_work(current_app) as uow:
        row_id = await store_inbound(uow.session, signer, recipient, activity)
        await heard_from(uow.session, urlsplit(signer.ap_id).netloc)
    background = rt.settings.activitypub.inbox_background
    # Only start_background() when the rest holds: it takes a place that the task frees.
    if row_id is not None and background and limits.start_background():
        current_app.add_background_task(_process_in_background, limits, sessions, rt.client, row_id)
    return _answer({"status": "accepted"}, 202)


async def _process_in_background(
    limits: InboundLimits,
    sessions: async_sessionmaker[AsyncSession],
    client: FederationClient,
    row_id: int,
) -> None:
    try:
        await process_inbound(sessions, client, row_id)
    finally:
        limits.end_background()
