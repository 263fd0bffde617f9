"""The events domain's mails (booking confirmations, waiting-list promotions, tickets) as
durable jobs: enqueued in the booking's transaction, sent by the worker, retried on failure."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from shared.infrastructure.jobs import job_kind
from shared.infrastructure.jobs.context import JobContext
from shared.infrastructure.mail import Mail

MAIL_KIND = "events.mail"
TICKETS_MAIL_KIND = "events.tickets_mail"


@job_kind(MAIL_KIND, max_attempts=8, timeout=timedelta(seconds=60), max_backoff=timedelta(hours=1))
async def send_events_mail(ctx: JobContext, payload: dict[str, Any]) -> None:
    mail = Mail(
        to=str(payload["to"]),
        subject=str(payload["subject"]),
        text=str(payload["text"]),
        html=str(payload["html"]) if payload.get("html") else None,
    )
    await ctx.send_mail(mail)


@job_kind(
    TICKETS_MAIL_KIND, max_attempts=8, timeout=timedelta(seconds=60), max_backoff=timedelta(hours=1)
)
async def send_tickets_mail(ctx: JobContext, payload: dict[str, Any]) -> None:
    """The buyer's tickets of one paid order: a link per seat to its page with the QR code."""
    base = ctx.settings.apps["events"].base_url.rstrip("/")
    links = "\n".join(f"{base}/tickets/{code}/" for code in payload["codes"])
    text = (
        f"Thank you for your order {payload['order']}.\n\nYour tickets, one link per seat;"
        f" show its QR code at the door:\n{links}\n"
    )
    mail = Mail(
        to=str(payload["to"]), subject=f"Your tickets (order {payload['order']})", text=text
    )
    await ctx.send_mail(mail)
