"""Webhook delivery as Ghost's WebhookTrigger does it (reference/integrations.md §B3)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import httpx

from shared.dev.ghost.content import iso, now_s
from shared.infrastructure.ghost import sign

if TYPE_CHECKING:
    from shared.dev.ghost.server import GhostStandIn

Item = dict[str, Any]


def deliver(ghost: GhostStandIn, event: str, hook: Item, body: bytes) -> None:
    """POST one webhook as Ghost does: 2 s timeout, retried, dropped on 410."""
    for attempt in range(len(ghost.webhook_delays) + 1):
        if attempt and ghost._stopping.wait(ghost.webhook_delays[attempt - 1]):
            return
        if ghost._stopping.is_set() or hook["id"] not in ghost.webhooks:
            return
        headers = {
            "Content-Type": "application/json",
            "Content-Version": "v5.0",
            "User-Agent": "Ghost/5.0.0 (https://github.com/TryGhost/Ghost) stand-in",
        }
        if hook["secret"]:
            headers["X-Ghost-Signature"] = sign(hook["secret"], body, int(time.time() * 1000))
        status: int | None = None
        try:
            status = httpx.post(
                hook["target_url"], content=body, headers=headers, timeout=2
            ).status_code
        except httpx.HTTPError:
            status = None
        with ghost._lock:
            ghost.deliveries.append((event, hook["target_url"], status))
            ghost.say(f"{event} → {hook['target_url']}: {status or 'no answer'}")
            hook["last_triggered_at"] = iso(now_s())
            hook["last_triggered_status"] = str(status) if status else None
            if status == 410:  # Ghost deletes a webhook its target says is gone
                ghost.webhooks.pop(hook["id"], None)
                return
        if status is not None and 200 <= status < 300:
            return
