"""Owners manage their calendars and events: create, edit, cancel; one occurrence
cancelled or moved; "this and following"; the participant list and its CSV."""

from __future__ import annotations

import csv
import io
from datetime import UTC
from typing import Any
from zoneinfo import ZoneInfo

from quart import Blueprint, Response, abort, current_app, redirect, render_template, request

from events.bp.lookup import (
    calendar_or_404,
    event_or_404,
    manager_or_403,
    occurrence_or_404,
    session,
)
from shared.contracts.calendars import InvalidEvent, OccurrenceRecord
from shared.infrastructure.media import media_storage, receive_image
from shared.infrastructure.runtime import runtime, unit_of_work
from shared.infrastructure.viewer import current_viewer
from shared.models.events import CONTAINER_TYPES, Calendar, Event
from shared.services.events.bookings import list_participants
from shared.services.events.editing import (
    cancel_event,
    cancel_occurrence,
    create_calendar,
    create_event,
    move_occurrence,
    set_event_image,
    split_series,
    update_calendar,
    update_event,
)
from shared.services.events.forms import (
    NTHS,
    REPEATS,
    WEEKDAY_NAMES,
    WEEKDAYS,
    parse_event_form,
    zone_choices,
)
from shared.services.events.reading import list_calendars

bp = Blueprint("manage", __name__)


def _url(event: Event) -> str:
    return f"/{event.calendar.slug}/{event.slug}/"


@bp.get("/manage/")
async def get_manage() -> str:
    """The signed-in member's calendars, and a form for a new one."""
    viewer = current_viewer()
    if viewer is None:
        abort(401, description="Sign in to manage your calendars.")
    calendars = await list_calendars(session(), owner_id=viewer.id)
    return await render_template(
        "events/manage/index.html", calendars=calendars, container_types=CONTAINER_TYPES, error=None
    )


@bp.post("/manage/calendars")
async def post_calendar() -> Response | tuple[str, int]:
    viewer = current_viewer()
    if viewer is None:
        abort(401, description="Sign in to make a calendar.")
    form = await request.form
    container = None
    if form.get("container_type"):
        kind, ident = form.get("container_type", ""), form.get("container_id", "")
        if (
            kind not in CONTAINER_TYPES
            or not ident.isascii()
            or not ident.isdigit()
            or len(ident) > 9
        ):
            abort(
                400, description=f"A container is one of {', '.join(CONTAINER_TYPES)} and its id."
            )
        container = (kind, int(ident))
    try:
        async with unit_of_work(current_app) as uow:
            calendar = await create_calendar(
                uow.session,
                owner_id=viewer.id,
                name=form.get("name", ""),
                description=form.get("description", ""),
                is_private=form.get("is_private") == "1",
                container=container,
            )
    except InvalidEvent as error:
        calendars = await list_calendars(session(), owner_id=viewer.id)
        html = await render_template(
            "events/manage/index.html",
            calendars=calendars,
            container_types=CONTAINER_TYPES,
            error=str(error),
        )
        return html, 400
    return redirect(f"/{calendar.slug}/", 303)


@bp.get("/<calendar_slug>/settings")
async def get_calendar_settings(calendar_slug: str) -> str:
    calendar = await calendar_or_404(calendar_slug)
    manager_or_403(calendar)
    return await render_template("events/manage/calendar.html", calendar=calendar, error=None)


@bp.post("/<calendar_slug>/settings")
async def post_calendar_settings(calendar_slug: str) -> Response | tuple[str, int]:
    """Rename, describe, or make private (no page, feed or widget) a calendar."""
    calendar = await calendar_or_404(calendar_slug)
    manager_or_403(calendar)
    form = await request.form
    try:
        async with unit_of_work(current_app) as uow:
            await update_calendar(
                uow.session,
                calendar,
                name=form.get("name", ""),
                description=form.get("description", ""),
                is_private=form.get("is_private") == "1",
            )
    except InvalidEvent as error:
        # The rollback expired the row: read it again (the form shows what is saved).
        calendar = await calendar_or_404(calendar_slug)
        html = await render_template(
            "events/manage/calendar.html", calendar=calendar, error=str(error)
        )
        return html, 400
    return redirect(f"/{calendar.slug}/", 303)


def _form_context(calendar: Calendar, **extra: Any) -> dict[str, Any]:
    return {
        "calendar": calendar,
        "zones": zone_choices(),
        "repeats": REPEATS,
        "weekdays": list(zip(WEEKDAYS, WEEKDAY_NAMES, strict=True)),
        "nths": NTHS,
        "error": None,
        "values": {},
        **extra,
    }


def _values_of(event: Event) -> dict[str, Any]:
    start = event.starts_at.astimezone(_zone(event))
    end = event.ends_at.astimezone(_zone(event))
    return {
        "title": event.title,
        "description": event.description,
        "start_date": start.date().isoformat(),
        "start_time": start.strftime("%H:%M"),
        "end_date": end.date().isoformat(),
        "end_time": end.strftime("%H:%M"),
        "time_zone": event.time_zone,
        "all_day": event.all_day,
        "location": event.location,
        "map_url": event.map_url,
        "online_url": event.online_url,
        "tags": ", ".join(event.tags or ()),
        "capacity": event.capacity or "",
        "rrule": event.rrule or "",
    }


def _zone(event: Event) -> ZoneInfo:
    return ZoneInfo(event.time_zone)


@bp.get("/<calendar_slug>/new")
async def get_new_event(calendar_slug: str) -> str:
    calendar = await calendar_or_404(calendar_slug)
    manager_or_403(calendar)
    values = {"time_zone": calendar.time_zone}
    return await render_template(
        "events/manage/event_form.html", **_form_context(calendar, values=values, event=None)
    )


@bp.post("/<calendar_slug>/new")
async def post_new_event(calendar_slug: str) -> Response | tuple[str, int]:
    calendar = await calendar_or_404(calendar_slug)
    manager_or_403(calendar)
    form = await request.form
    try:
        data = parse_event_form(form)
        async with unit_of_work(current_app) as uow:
            event = await create_event(
                uow.session, calendar, data, publish=form.get("publish") == "1"
            )
    except InvalidEvent as error:
        html = await render_template(
            "events/manage/event_form.html",
            **_form_context(calendar, values=form, error=str(error), event=None),
        )
        return html, 400
    return redirect(_url(event), 303)


@bp.get("/<calendar_slug>/<event_slug>/edit")
async def get_edit_event(calendar_slug: str, event_slug: str) -> str:
    event = await event_or_404(calendar_slug, event_slug)
    manager_or_403(event.calendar)
    return await render_template(
        "events/manage/event_form.html",
        **_form_context(event.calendar, values=_values_of(event), event=event),
    )


@bp.post("/<calendar_slug>/<event_slug>/edit")
async def post_edit_event(calendar_slug: str, event_slug: str) -> Response | tuple[str, int]:
    event = await event_or_404(calendar_slug, event_slug)
    manager_or_403(event.calendar)
    form = await request.form
    try:
        data = parse_event_form(form)
        async with unit_of_work(current_app) as uow:
            await update_event(uow.session, event, data, publish=form.get("publish") == "1")
    except InvalidEvent as error:
        html = await render_template(
            "events/manage/event_form.html",
            **_form_context(event.calendar, values=form, error=str(error), event=event),
        )
        return html, 400
    return redirect(_url(event), 303)


@bp.post("/<calendar_slug>/<event_slug>/image")
async def post_event_image(calendar_slug: str, event_slug: str) -> Response:
    """The event's picture: checked, cleaned and resized by the media pipeline."""
    event = await event_or_404(calendar_slug, event_slug)
    manager_or_403(event.calendar)
    settings = runtime(current_app).settings
    stored = await receive_image(
        await request.files, "image", media_storage(current_app), settings.media
    )
    async with unit_of_work(current_app) as uow:
        await set_event_image(uow.session, event, stored.src)
    return redirect(_url(event), 303)


@bp.post("/<calendar_slug>/<event_slug>/cancel")
async def post_cancel_event(calendar_slug: str, event_slug: str) -> Response:
    """Cancel the whole event (a series: every occurrence); federated as a Delete."""
    event = await event_or_404(calendar_slug, event_slug)
    manager_or_403(event.calendar)
    async with unit_of_work(current_app) as uow:
        await cancel_event(uow.session, event)
    return redirect(_url(event), 303)


@bp.post("/<calendar_slug>/<event_slug>/<key>/cancel")
async def post_cancel_occurrence(calendar_slug: str, event_slug: str, key: str) -> Response:
    event = await event_or_404(calendar_slug, event_slug)
    manager_or_403(event.calendar)
    occurrence = await occurrence_or_404(event, key)
    try:
        async with unit_of_work(current_app) as uow:
            await cancel_occurrence(uow.session, event, occurrence.recurrence_id)
    except InvalidEvent as error:
        abort(400, description=str(error))
    return redirect(_url(event), 303)


async def _occurrence_form(
    event: Event, occurrence: OccurrenceRecord, mode: str, **extra: Any
) -> str:
    values = _values_of(event)
    start, end = occurrence.starts_at, occurrence.ends_at
    values.update(
        start_date=start.date().isoformat(),
        start_time=start.strftime("%H:%M"),
        end_date=end.date().isoformat(),
        end_time=end.strftime("%H:%M"),
    )
    if mode == "split":
        values["rrule"] = ""
    context = _form_context(event.calendar, values=values, event=event)
    context.update(extra)
    return await render_template(
        "events/manage/event_form.html", mode=mode, occurrence=occurrence, **context
    )


@bp.get("/<calendar_slug>/<event_slug>/<key>/move")
async def get_move_occurrence(calendar_slug: str, event_slug: str, key: str) -> str:
    event = await event_or_404(calendar_slug, event_slug)
    manager_or_403(event.calendar)
    return await _occurrence_form(event, await occurrence_or_404(event, key), "move")


@bp.post("/<calendar_slug>/<event_slug>/<key>/move")
async def post_move_occurrence(
    calendar_slug: str, event_slug: str, key: str
) -> Response | tuple[str, int]:
    event = await event_or_404(calendar_slug, event_slug)
    manager_or_403(event.calendar)
    occurrence = await occurrence_or_404(event, key)
    form = await request.form
    try:
        data = parse_event_form(_with(form, title=event.title, time_zone=event.time_zone))
        async with unit_of_work(current_app) as uow:
            await move_occurrence(
                uow.session, event, occurrence.recurrence_id, data.starts_at, data.ends_at
            )
    except InvalidEvent as error:
        event = await event_or_404(calendar_slug, event_slug)  # the rollback expired it
        return await _occurrence_form(event, occurrence, "move", error=str(error)), 400
    return redirect(_url(event), 303)


@bp.get("/<calendar_slug>/<event_slug>/<key>/split")
async def get_split_series(calendar_slug: str, event_slug: str, key: str) -> str:
    event = await event_or_404(calendar_slug, event_slug)
    manager_or_403(event.calendar)
    return await _occurrence_form(event, await occurrence_or_404(event, key), "split")


@bp.post("/<calendar_slug>/<event_slug>/<key>/split")
async def post_split_series(
    calendar_slug: str, event_slug: str, key: str
) -> Response | tuple[str, int]:
    """ "This and following": the series ends before this occurrence; a new one starts here."""
    event = await event_or_404(calendar_slug, event_slug)
    manager_or_403(event.calendar)
    occurrence = await occurrence_or_404(event, key)
    form = await request.form
    try:
        data = parse_event_form(form)
        async with unit_of_work(current_app) as uow:
            following = await split_series(uow.session, event, occurrence.recurrence_id, data)
    except InvalidEvent as error:
        event = await event_or_404(calendar_slug, event_slug)  # the rollback expired it
        return await _occurrence_form(event, occurrence, "split", error=str(error)), 400
    return redirect(_url(following), 303)


class _Form(dict[str, Any]):
    def getlist(self, key: str) -> list[str]:
        value = self.get(key)
        return value if isinstance(value, list) else ([value] if value else [])


def _with(form: Any, **fixed: str) -> _Form:
    data = _Form({key: form.get(key, "") for key in form})
    data.update(fixed)
    data.setdefault("description", "")
    return data


@bp.get("/<calendar_slug>/<event_slug>/participants")
async def get_participants(calendar_slug: str, event_slug: str) -> str:
    event = await event_or_404(calendar_slug, event_slug)
    manager_or_403(event.calendar)
    rows = await list_participants(session(), event.id)
    return await render_template(
        "events/manage/participants.html", event=event, calendar=event.calendar, rows=rows
    )


@bp.get("/<calendar_slug>/<event_slug>/participants.csv")
async def get_participants_csv(calendar_slug: str, event_slug: str) -> Response:
    event = await event_or_404(calendar_slug, event_slug)
    manager_or_403(event.calendar)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["occurrence", "status", "name", "email", "seats", "booked at"])
    for booking, email in await list_participants(session(), event.id):
        start = booking.occurrence_start.astimezone(_zone(event))
        writer.writerow(
            [
                start.isoformat(),
                booking.status,
                _cell(booking.name),
                _cell(email),
                booking.seats,
                booking.created_at.astimezone(UTC).isoformat(),
            ]
        )
    return Response(
        out.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{event.slug}-participants.csv"'},
    )


def _cell(text: str) -> str:
    # A name like "=HYPERLINK(...)" must not run as a formula in a spreadsheet.
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
