"""Booking free places: members book in one click, guests confirm an emailed link on a
page that confirms with a POST (mail scanners follow links, they do not submit forms);
cancelling from the mail's link or from the member's list."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from quart import Blueprint, Response, abort, current_app, redirect, render_template, request
from sqlalchemy import select

from events.bp.lookup import base_url, event_or_404, parse_key, session
from shared.contracts.calendars import AlreadyBooked, BookingRefused, OccurrenceRecord
from shared.infrastructure.runtime import unit_of_work
from shared.infrastructure.viewer import current_viewer
from shared.models.events import Booking, BookingStatus
from shared.models.identity import User
from shared.services.events.bookings import (
    book_guest,
    book_member,
    booking_of_token,
    cancel_booking,
    confirm_guest,
    list_member_bookings,
)
from shared.services.events.recurrence import find_occurrence

bp = Blueprint("bookings", __name__)

_EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]{1,255}\.[^@\s.]{2,63}")


@bp.post("/<calendar_slug>/<event_slug>/<key>/book")
async def post_booking(calendar_slug: str, event_slug: str, key: str) -> Response | tuple[str, int]:
    """Book the occurrence: confirmed or waiting (members), pending a mailed link (guests)."""
    event = await event_or_404(calendar_slug, event_slug)
    recurrence_id = parse_key(key)
    viewer = current_viewer()
    form = await request.form
    now = datetime.now(UTC)
    try:
        async with unit_of_work(current_app) as uow:
            if viewer is not None:
                user = await uow.session.get(User, viewer.id)
                if user is None:
                    abort(401, description="Sign in again to book.")
                booking = await book_member(
                    uow.session,
                    event_id=event.id,
                    recurrence_id=recurrence_id,
                    user=user,
                    now=now,
                    base_url=base_url(),
                )
            else:
                email = (form.get("email") or "").strip()
                if not _EMAIL.fullmatch(email):
                    raise BookingRefused(
                        "Give an email address, so we can send the confirmation link."
                    )
                booking = await book_guest(
                    uow.session,
                    event_id=event.id,
                    recurrence_id=recurrence_id,
                    name=form.get("name") or "",
                    email=email,
                    now=now,
                    base_url=base_url(),
                )
            status = booking.status
    except BookingRefused as refused:
        abort(409 if isinstance(refused, AlreadyBooked) else 400, description=str(refused))
    html = await render_template("events/bookings/booked.html", event=event, status=status)
    return html, 201


async def _booking_or_404(token: str) -> Booking:
    booking = await booking_of_token(session(), token)
    if booking is None:
        abort(404)
    return booking


def _occurrence(booking: Booking) -> OccurrenceRecord | None:
    return find_occurrence(booking.event, booking.occurrence_start)


@bp.get("/bookings/<token>/confirm")
async def get_confirm_booking(token: str) -> str:
    """The link in a guest's mail: a page with a button (following a link books nothing)."""
    booking = await _booking_or_404(token)
    return await render_template(
        "events/bookings/confirm.html",
        booking=booking,
        occurrence=_occurrence(booking),
        token=token,
    )


@bp.post("/bookings/<token>/confirm")
async def post_confirm_booking(token: str) -> str:
    booking = await _booking_or_404(token)
    async with unit_of_work(current_app) as uow:
        status = await confirm_guest(uow.session, booking, base_url=base_url())
    return await render_template("events/bookings/booked.html", event=booking.event, status=status)


@bp.get("/bookings/<token>/cancel")
async def get_cancel_booking(token: str) -> str:
    booking = await _booking_or_404(token)
    return await render_template(
        "events/bookings/cancel.html",
        booking=booking,
        occurrence=_occurrence(booking),
        action=f"/bookings/{token}/cancel",
    )


@bp.post("/bookings/<token>/cancel")
async def post_cancel_booking(token: str) -> str:
    """Cancel from the mail; a freed seat goes to the longest-waiting booking."""
    booking = await _booking_or_404(token)
    if booking.status != BookingStatus.CANCELLED:
        async with unit_of_work(current_app) as uow:
            await cancel_booking(uow.session, booking, base_url=base_url())
    return await render_template("events/bookings/cancelled.html", event=booking.event)


@bp.get("/bookings/")
async def get_my_bookings() -> str:
    """The signed-in member's bookings, each with a cancel button."""
    viewer = current_viewer()
    if viewer is None:
        abort(401, description="Sign in to see your bookings.")
    bookings = await list_member_bookings(session(), viewer.id)
    return await render_template("events/bookings/index.html", bookings=bookings)


@bp.post("/bookings/<int:booking_id>/cancel")
async def post_cancel_my_booking(booking_id: int) -> Response:
    viewer = current_viewer()
    if viewer is None:
        abort(401, description="Sign in to cancel your booking.")
    booking = await session().scalar(select(Booking).where(Booking.id == booking_id))
    if booking is None or booking.user_id != viewer.id:
        abort(404)
    if booking.status != BookingStatus.CANCELLED:
        async with unit_of_work(current_app) as uow:
            await cancel_booking(uow.session, booking, base_url=base_url())
    return redirect("/bookings/", 303)
