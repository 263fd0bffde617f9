"""SumUp's webhook: a hint that a checkout changed, acted on only after refetching it.

The body is untrusted (the classic webhook is unsigned): it only names a checkout id,
which `settle` looks up at SumUp. Answering 2xx stops SumUp's retries, so a 503 is
returned when SumUp itself could not be asked: the retry then comes back later.
"""

import json
from typing import Any

from quart import Blueprint, Response, request

from cart.payments import settings, sumup, units
from shared.infrastructure.security import csrf_exempt
from shared.infrastructure.sumup import SumUpUnavailable
from shared.services.cart.payments import settle

bp = Blueprint("webhooks", __name__)


def _checkout_id(body: Any) -> str | None:
    """Both shapes SumUp sends: classic `{event_type, id}` and `{payload: {checkout_id}}`."""
    if not isinstance(body, dict):
        return None
    payload = body.get("payload")
    if isinstance(payload, dict) and isinstance(payload.get("checkout_id"), str):
        return str(payload["checkout_id"])
    if body.get("event_type") == "CHECKOUT_STATUS_CHANGED" and isinstance(body.get("id"), str):
        return str(body["id"])
    return None


@bp.post("/payments/sumup/webhook")
@csrf_exempt
async def post_webhook() -> Response:
    try:
        body = json.loads(await request.get_data())
    except ValueError:  # not JSON, or not UTF-8: not a SumUp webhook
        body = None
    checkout_id = _checkout_id(body)
    if checkout_id is None or len(checkout_id) > 100:
        return Response("", 204)  # unknown events are ignored, not retried
    try:
        async with sumup() as client:
            await settle(units, client, settings(), checkout_id, source="webhook", payload=body)
    except SumUpUnavailable:
        return Response("SumUp could not be asked; retry", 503)
    return Response("", 204)
