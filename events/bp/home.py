"""The events home: what's on as a list, a week or a month, optionally for one tag."""

from __future__ import annotations

import calendar as calendar_lib
import re
from datetime import UTC, date, datetime, time, timedelta

from quart import Blueprint, abort, render_template, request

from events.bp.lookup import session
from shared.contracts.calendars import OccurrenceRecord
from shared.services.events.reading import list_calendars, list_occurrences, list_tags

bp = Blueprint("home", __name__)

VIEWS = ("list", "week", "month")
LIST_DAYS = 90
LIST_LIMIT = 200
MIN_YEAR, MAX_YEAR = 1970, 2200
_TAG = re.compile(r"[a-z0-9][a-z0-9-]{0,49}")
# Zones run from UTC-12 to UTC+14: a day anywhere lies within this of the UTC day.
_ZONE_MARGIN = timedelta(hours=15)


def _day(text: str | None, today: date) -> date:
    if not text:
        return today
    try:
        day = date.fromisoformat(text)
    except ValueError:
        abort(400, description="date must be a day as YYYY-MM-DD.")
    if not MIN_YEAR <= day.year <= MAX_YEAR:
        abort(400, description=f"date must be a day from {MIN_YEAR} to {MAX_YEAR}.")
    return day


def _span(view: str, day: date) -> tuple[date, date]:
    if view == "week":
        first = day - timedelta(days=day.weekday())
        return first, first + timedelta(days=7)
    if view == "month":
        first = day.replace(day=1)
        return first, first + timedelta(days=calendar_lib.monthrange(day.year, day.month)[1])
    return day, day + timedelta(days=LIST_DAYS)


def by_local_day(occurrences: list[OccurrenceRecord]) -> dict[date, list[OccurrenceRecord]]:
    days: dict[date, list[OccurrenceRecord]] = {}
    for occurrence in occurrences:
        days.setdefault(occurrence.starts_at.date(), []).append(occurrence)
    return days


async def occurrences_on_days(
    first: date, end: date, *, calendar_id: int | None = None, tag: str | None = None
) -> list[OccurrenceRecord]:
    """Occurrences whose local start day (in the event's own zone) is in [first, end)."""
    window = (
        datetime.combine(first, time(), UTC) - _ZONE_MARGIN,
        datetime.combine(end, time(), UTC) + _ZONE_MARGIN,
    )
    found = await list_occurrences(session(), *window, calendar_id=calendar_id, tag=tag)
    return [o for o in found if first <= o.starts_at.date() < end]


def month_weeks(first: date) -> list[list[date | None]]:
    weeks = calendar_lib.Calendar().monthdatescalendar(first.year, first.month)
    return [[d if d.month == first.month else None for d in week] for week in weeks]


@bp.get("/")
async def get_home() -> str:
    """What's on: `view` list (90 days), week or month, from `date`, for one `tag`."""
    view = request.args.get("view", "list")
    if view not in VIEWS:
        abort(400, description=f"view must be one of {', '.join(VIEWS)}.")
    tag = request.args.get("tag") or None
    if tag is not None and not _TAG.fullmatch(tag):
        abort(400, description="tag may hold only lower-case letters, digits and hyphens.")
    today = datetime.now(UTC).date()
    day = _day(request.args.get("date"), today)
    first, end = _span(view, day)
    occurrences = await occurrences_on_days(first, end, tag=tag)
    if view == "list":
        now = datetime.now(UTC)
        occurrences = [o for o in occurrences if o.ends_at > now][:LIST_LIMIT]
    return await render_template(
        "events/home/index.html",
        view=view,
        tag=tag,
        first=first,
        end=end,
        occurrences=occurrences,
        days=by_local_day(occurrences),
        weeks=month_weeks(first) if view == "month" else [],
        previous=_span(view, first - timedelta(days=1))[0],
        following=end,
        tags=await list_tags(session()),
        calendars=await list_calendars(session()),
    )
