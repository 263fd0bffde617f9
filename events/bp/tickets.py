"""Tickets: the holder's page with its QR code, the member's list, and the organiser's
check-in at the door (a code typed or scanned answers valid, already used, or not for
this event)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from markupsafe import Markup
from quart import Blueprint, Response, abort, current_app, redirect, render_template, request

from events.bp.lookup import base_url, event_or_404, manager_or_403, session
from shared.infrastructure.params import whole_number
from shared.infrastructure.runtime import unit_of_work
from shared.infrastructure.viewer import current_viewer
from shared.services.events.tickets import (
    CheckIn,
    add_ticket_type,
    check_in,
    get_ticket,
    list_member_tickets,
    parse_price,
    qr_svg,
)

bp = Blueprint("tickets", __name__)

ANSWERS = {
    CheckIn.VALID: "Valid: welcome in.",
    CheckIn.ALREADY_USED: "Already used: this ticket was checked in before.",
    CheckIn.OTHER_EVENT: "Not for this event.",
    CheckIn.UNKNOWN: "Unknown code: no such ticket.",
    CheckIn.VOID: "Void: this ticket was cancelled.",
}


@bp.get("/tickets/")
async def get_my_tickets() -> str:
    viewer = current_viewer()
    if viewer is None:
        abort(401, description="Sign in to see your tickets.")
    tickets = await list_member_tickets(session(), viewer.id)
    return await render_template("events/tickets/index.html", tickets=tickets)


@bp.get("/tickets/<code>/")
async def get_ticket_page(code: str) -> str:
    """A ticket by its code (the link in the buyer's mail is the key), with its QR code."""
    ticket = await get_ticket(session(), code) if len(code) <= 64 else None
    if ticket is None:
        abort(404)
    # segno writes the SVG itself from the code's characters (our alphabet only).
    qr = Markup(qr_svg(ticket.code))
    return await render_template(
        "events/tickets/show.html", ticket=ticket, qr=qr, base_url=base_url()
    )


def _moment(text: str, zone: ZoneInfo, label: str) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text).replace(tzinfo=zone)
    except ValueError:
        abort(400, description=f"{label} must be a date and time (YYYY-MM-DDTHH:MM).")


@bp.post("/<calendar_slug>/<event_slug>/ticket-types")
async def post_ticket_type(calendar_slug: str, event_slug: str) -> Response:
    """Add a kind of ticket: name, price, how many, and its sales window (event's zone)."""
    event = await event_or_404(calendar_slug, event_slug)
    manager_or_403(event.calendar)
    form = await request.form
    zone = ZoneInfo(event.time_zone)
    quantity = whole_number(form.get("quantity"), "The number of tickets", maximum=100_000)
    try:
        async with unit_of_work(current_app) as uow:
            await add_ticket_type(
                uow.session,
                event,
                name=form.get("name") or "",
                price_minor=parse_price(form.get("price") or ""),
                quantity=quantity,
                sales_start_at=_moment(form.get("sales_start") or "", zone, "Sales start"),
                sales_end_at=_moment(form.get("sales_end") or "", zone, "Sales end"),
            )
    except ValueError as error:
        abort(400, description=str(error))
    return redirect(f"/{calendar_slug}/{event_slug}/", 303)


@bp.get("/<calendar_slug>/<event_slug>/check-in")
async def get_check_in(calendar_slug: str, event_slug: str) -> str:
    event = await event_or_404(calendar_slug, event_slug)
    manager_or_403(event.calendar)
    return await render_template(
        "events/tickets/check_in.html", event=event, answer=None, ticket=None
    )


@bp.post("/<calendar_slug>/<event_slug>/check-in")
async def post_check_in(calendar_slug: str, event_slug: str) -> tuple[str, int]:
    event = await event_or_404(calendar_slug, event_slug)
    manager_or_403(event.calendar)
    code = ((await request.form).get("code") or "").strip()
    if not code:
        abort(400, description="Type or scan a ticket code.")
    async with unit_of_work(current_app) as uow:
        result, ticket = await check_in(uow.session, event.id, code, datetime.now(UTC))
    html = await render_template(
        "events/tickets/check_in.html",
        event=event,
        answer=ANSWERS[result],
        result=result,
        ticket=ticket,
    )
    return html, 200 if result == CheckIn.VALID else 409 if result == CheckIn.ALREADY_USED else 422
