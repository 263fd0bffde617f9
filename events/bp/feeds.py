"""iCalendar feeds to subscribe to: per calendar, site-wide, per tag, and each member's
private feed of their bookings and tickets (by a token they can reset)."""

from __future__ import annotations

import re

from quart import Blueprint, Response, abort, current_app, render_template

from events.bp.lookup import base_url, calendar_or_404, session
from shared.infrastructure.runtime import unit_of_work
from shared.infrastructure.viewer import current_viewer
from shared.services.events.bookings import list_member_bookings
from shared.services.events.feeds import (
    feed_of,
    has_feed_token,
    member_of_token,
    private_feed_of,
    reset_feed_token,
)
from shared.services.events.reading import list_calendars, list_events, list_tags
from shared.services.events.tickets import list_member_tickets

bp = Blueprint("feeds", __name__)

_TAG = re.compile(r"[a-z0-9][a-z0-9-]{0,49}")
_TOKEN = re.compile(r"[A-Za-z0-9_-]{20,64}")


def _ics(body: bytes, *, private: bool = False) -> Response:
    response = Response(body, mimetype="text/calendar")
    # Private feeds name a member's plans: never in a shared cache.
    response.headers["Cache-Control"] = "private, no-store" if private else "public, max-age=300"
    return response


@bp.get("/feeds/")
async def get_feeds() -> str:
    """Every public feed as webcal:// and https:// links; the member's private feed."""
    viewer = current_viewer()
    has_private = viewer is not None and await has_feed_token(session(), viewer.id)
    return await render_template(
        "events/feeds/index.html",
        calendars=await list_calendars(session()),
        tags=await list_tags(session()),
        base_url=base_url(),
        has_private=has_private,
        private_url=None,
    )


@bp.post("/feeds/private")
async def post_private_feed() -> str:
    """A new private feed address (the old one answers 404 from now on), shown once."""
    viewer = current_viewer()
    if viewer is None:
        abort(401, description="Sign in to get your private feed.")
    async with unit_of_work(current_app) as uow:
        token = await reset_feed_token(uow.session, viewer.id)
    return await render_template(
        "events/feeds/index.html",
        calendars=await list_calendars(session()),
        tags=await list_tags(session()),
        base_url=base_url(),
        has_private=True,
        private_url=f"{base_url()}/feeds/private/{token}.ics",
    )


@bp.get("/feeds/all.ics")
async def get_site_feed() -> Response:
    events = await list_events(session())
    return _ics(feed_of("Rose Ash events", events, base_url=base_url()))


@bp.get("/feeds/tags/<tag>.ics")
async def get_tag_feed(tag: str) -> Response:
    if not _TAG.fullmatch(tag):
        abort(404)
    events = await list_events(session(), tag=tag)
    return _ics(feed_of(f"Rose Ash events: {tag}", events, base_url=base_url()))


@bp.get("/<calendar_slug>/feed.ics")
async def get_calendar_feed(calendar_slug: str) -> Response:
    """A calendar's feed; 404 for a private calendar, whoever asks (feeds carry no login)."""
    calendar = await calendar_or_404(calendar_slug)
    if calendar.is_private:
        abort(404)
    events = await list_events(session(), calendar_id=calendar.id)
    return _ics(
        feed_of(calendar.name, events, base_url=base_url(), description=calendar.description)
    )


@bp.get("/feeds/private/<token>.ics")
async def get_private_feed(token: str) -> Response:
    """The member's bookings and tickets; 404 for a wrong or reset token."""
    user_id = await member_of_token(session(), token) if _TOKEN.fullmatch(token) else None
    if user_id is None:
        abort(404)
    bookings = await list_member_bookings(session(), user_id)
    tickets = await list_member_tickets(session(), user_id)
    return _ics(private_feed_of(bookings, tickets, base_url=base_url()), private=True)
