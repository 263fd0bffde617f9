"""The mails an order sends (text and HTML, from cart/templates/cart/mail), as durable jobs.

A mail is rendered when the change it tells of is written and enqueued in that same
transaction (`cart.send_mail`): it goes out only if the change commits, exactly once
per change, and a worker retries it while the mail server is away.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts.dtos import Money
from shared.contracts.money import format_money
from shared.infrastructure.config import Settings
from shared.infrastructure.jobs import JobContext, enqueue, job_kind
from shared.infrastructure.mail import Mail
from shared.models.cart import Order

SEND_MAIL = "cart.send_mail"
TEMPLATES = Path(__file__).resolve().parents[3] / "cart" / "templates"

SUBJECTS = {
    "order_received": "Order {number} received",
    "payment_confirmed": "Order {number}: payment confirmed",
    "ready_for_pickup": "Order {number}: ready for pickup",
    "refunded": "Order {number}: refund",
    "withdrawal": "Order {number}: your withdrawal",
}

_env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
    keep_trailing_newline=True,
)
_env.filters["money"] = lambda minor, currency: format_money(Money(int(minor), currency))


def order_url(settings: Settings, order: Order) -> str:
    base = settings.app("cart").base_url.rstrip("/")
    return f"{base}/orders/{order.number}?t={order.access_token}"


def render(kind: str, **context: Any) -> tuple[str, str]:
    text = _env.get_template(f"cart/mail/{kind}.txt").render(**context)
    html = _env.get_template(f"cart/mail/{kind}.html").render(**context)
    return text, html


async def queue_mail(
    session: AsyncSession,
    settings: Settings,
    order: Order,
    kind: str,
    *,
    key: str = "",
    **extra: Any,
) -> None:
    text, html = render(kind, order=order, url=order_url(settings, order), **extra)
    await enqueue(
        session,
        SEND_MAIL,
        {
            "to": order.email,
            "subject": SUBJECTS[kind].format(number=order.number),
            "text": text,
            "html": html,
        },
        key=f"order-mail:{order.id}:{kind}{':' + key if key else ''}",
    )


@job_kind(SEND_MAIL, max_attempts=8, timeout=timedelta(seconds=30))
async def send_mail(ctx: JobContext, payload: dict[str, Any]) -> None:
    mail = Mail(
        to=payload["to"], subject=payload["subject"], text=payload["text"], html=payload["html"]
    )
    await ctx.send_mail(mail)
