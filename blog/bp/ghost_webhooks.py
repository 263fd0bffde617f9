"""Ghost's webhooks: `POST /webhooks/ghost/<event>`.

The signature (and its timestamp) is checked before anything else: a bad one is a 401
naming the problem and nothing is written. A good one becomes a durable job, keyed by
resource, id and the payload's updated_at (Ghost's retries and duplicates make one job),
and the answer is an immediate 200: the job refetches from the Admin API.
"""

from __future__ import annotations

import json

from quart import Blueprint, Response, current_app, jsonify, request

from shared.infrastructure.ghost import BadSignature, verify_signature
from shared.infrastructure.runtime import runtime, unit_of_work
from shared.infrastructure.security import csrf_exempt
from shared.services.blog.ghost_sync.webhooks import BadWebhook, enqueue_delivery, parse_delivery

bp = Blueprint("ghost_webhooks", __name__, url_prefix="/webhooks/ghost")

MAX_BODY = 5 * 1024 * 1024  # a post with its HTML and previous version


@bp.post("/<event>")
@csrf_exempt
async def post_webhook(event: str) -> tuple[Response, int]:
    ghost = runtime(current_app).settings.ghost
    if not ghost.url:
        return jsonify(error="Ghost sync is off on this site (GHOST_URL is not set)."), 404
    if not ghost.webhook_secret:
        return jsonify(
            error="GHOST_WEBHOOK_SECRET is not set, so Ghost's webhooks cannot be verified."
        ), 503
    if (request.content_length or 0) > MAX_BODY:
        return jsonify(error="The webhook body is too large."), 413
    body = await request.get_data(cache=False)
    try:
        verify_signature(
            ghost.webhook_secret, bytes(body), request.headers.get("X-Ghost-Signature")
        )
    except BadSignature as exc:
        return jsonify(error=str(exc)), 401
    try:
        delivery = parse_delivery(event, json.loads(body or b"null"))
    except json.JSONDecodeError:
        return jsonify(error="The webhook body is not JSON."), 400
    except BadWebhook as exc:
        return jsonify(error=str(exc)), 400
    async with unit_of_work(current_app) as uow:
        job_id = await enqueue_delivery(uow.session, delivery)
    return jsonify(queued=job_id is not None), 200
