"""The event form: what a member types, checked, turned into an `EventInput` with its RRULE.

The recurrence part of the form offers daily / weekly on chosen days / every N
weeks / monthly by date / monthly by nth weekday (or the last) / yearly, ending
on a date or after a count; an "advanced" field takes a raw RRULE, checked by
the same `check_rule` so nothing the form would refuse gets in that way.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from shared.contracts.calendars import InvalidEvent
from shared.infrastructure.html import sanitize_html
from shared.infrastructure.params import parse_whole
from shared.services.events.recurrence import MAX_COUNT, MAX_INTERVAL, check_rule

WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
REPEATS = ("none", "daily", "weekly", "monthly_date", "monthly_weekday", "yearly")
NTHS = {"1": "first", "2": "second", "3": "third", "4": "fourth", "-1": "last"}
MAX_TAGS = 10
_TAG = re.compile(r"[a-z0-9][a-z0-9-]{0,49}")
_URL = re.compile(r"https?://[^\s<>\"']{1,490}")


class FormData(Protocol):
    def get(self, key: str, default: Any = None) -> Any: ...

    def getlist(self, key: str) -> list[str]: ...


def _text(form: FormData, key: str) -> str:
    value = form.get(key)
    return value if isinstance(value, str) else ""


@dataclass(frozen=True, slots=True)
class EventInput:
    title: str
    description: str  # sanitized HTML
    starts_at: datetime
    ends_at: datetime
    time_zone: str
    all_day: bool
    location: str
    map_url: str
    online_url: str
    tags: tuple[str, ...]
    capacity: int | None
    rrule: str | None


def zone_named(name: str) -> ZoneInfo:
    if name not in _zones():
        raise InvalidEvent(f"{name!r} is not an IANA time zone (for example Europe/London).")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidEvent(f"{name!r} is not an IANA time zone.") from exc


_ZONES: set[str] = set()


def _zones() -> set[str]:
    if not _ZONES:
        _ZONES.update(available_timezones())
    return _ZONES


def zone_choices() -> list[str]:
    return sorted(_zones())


def _date(text: str, label: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError as exc:
        raise InvalidEvent(f"{label} must be a date (YYYY-MM-DD).") from exc


def _time(text: str, label: str) -> time:
    try:
        return time.fromisoformat(text.strip())
    except ValueError as exc:
        raise InvalidEvent(f"{label} must be a time (HH:MM).") from exc


def _url(text: str, label: str) -> str:
    text = text.strip()
    if text and not _URL.fullmatch(text):
        raise InvalidEvent(f"{label} must be an http(s) address.")
    return text


def _tags(text: str) -> tuple[str, ...]:
    tags = [t.strip().lower() for t in text.split(",") if t.strip()]
    for tag in tags:
        if not _TAG.fullmatch(tag):
            raise InvalidEvent(f"The tag {tag!r} may hold only letters, digits and hyphens.")
    if len(tags) > MAX_TAGS:
        raise InvalidEvent(f"An event can have at most {MAX_TAGS} tags.")
    return tuple(dict.fromkeys(tags))


def _whole(text: str, label: str, low: int, high: int) -> int:
    value = parse_whole(text.strip())
    if value is None or not low <= value <= high:
        raise InvalidEvent(f"{label} must be a whole number from {low} to {high}.")
    return value


def _times(form: FormData, zone: ZoneInfo, all_day: bool) -> tuple[datetime, datetime]:
    start_day = _date(_text(form, "start_date"), "The start date")
    end_day = _date(_text(form, "end_date") or _text(form, "start_date"), "The end date")
    if all_day:
        # DTEND of an all-day event is the day after its last day.
        start = datetime.combine(start_day, time(), tzinfo=zone)
        end = datetime.combine(end_day + timedelta(days=1), time(), tzinfo=zone)
    else:
        start = datetime.combine(
            start_day, _time(_text(form, "start_time"), "The start time"), zone
        )
        end = datetime.combine(end_day, _time(_text(form, "end_time"), "The end time"), zone)
    if not 1970 <= start_day.year <= 2200 or not 1970 <= end_day.year <= 2200:
        raise InvalidEvent("Dates must be in the years 1970 to 2200.")
    if end <= start:
        raise InvalidEvent("The event ends before it starts: the end must be after the start.")
    if end - start > timedelta(days=62):
        raise InvalidEvent("One occurrence can last at most 62 days.")
    return start, end


def rule_from_form(form: FormData, starts_at: datetime) -> str | None:
    """The RRULE the recurrence fields describe, or None for a one-off event."""
    advanced = _text(form, "rrule").strip()
    if advanced:
        return check_rule(advanced, starts_at)
    repeat = _text(form, "repeat") or "none"
    if repeat not in REPEATS:
        raise InvalidEvent(f"Repeat must be one of {', '.join(REPEATS)}.")
    if repeat == "none":
        return None
    interval = _whole(_text(form, "interval") or "1", "Every", 1, MAX_INTERVAL)
    parts = {
        "daily": ["FREQ=DAILY"],
        "weekly": ["FREQ=WEEKLY"],
        "monthly_date": ["FREQ=MONTHLY", f"BYMONTHDAY={starts_at.day}"],
        "monthly_weekday": ["FREQ=MONTHLY"],
        "yearly": ["FREQ=YEARLY"],
    }[repeat]
    if interval > 1:
        parts.append(f"INTERVAL={interval}")
    if repeat == "weekly":
        days = [d for d in WEEKDAYS if d in form.getlist("weekdays")]
        parts.append(f"BYDAY={','.join(days or [WEEKDAYS[starts_at.weekday()]])}")
    if repeat == "monthly_weekday":
        nth = _text(form, "month_nth") or "1"
        if nth not in NTHS:
            raise InvalidEvent("The week of the month must be first to fourth, or last.")
        weekday = _text(form, "month_weekday") or WEEKDAYS[starts_at.weekday()]
        if weekday not in WEEKDAYS:
            raise InvalidEvent("The day of the week must be one of MO, TU, WE, TH, FR, SA, SU.")
        parts.append(f"BYDAY={nth}{weekday}")
    parts.append(_end_part(form, starts_at))
    return check_rule(";".join(parts), starts_at)


def _end_part(form: FormData, starts_at: datetime) -> str:
    ends = _text(form, "ends") or "count"
    if ends == "count":
        return f"COUNT={_whole(_text(form, 'count'), 'The number of times', 1, MAX_COUNT)}"
    if ends == "until":
        last = _date(_text(form, "until"), "The last date")
        # UNTIL in UTC at the end of that local day: the last day is included.
        end_of_day = datetime.combine(last, time(23, 59, 59), starts_at.tzinfo)
        return "UNTIL=" + end_of_day.astimezone(ZoneInfo("UTC")).strftime("%Y%m%dT%H%M%SZ")
    raise InvalidEvent("A repeating event ends on a date (until) or after a number of times.")


def parse_event_form(form: FormData) -> EventInput:
    """The form as an `EventInput`, or InvalidEvent naming the first thing wrong."""
    title = _text(form, "title").strip()
    if not title or len(title) > 255:
        raise InvalidEvent("The title is required (at most 255 characters).")
    zone = zone_named(_text(form, "time_zone").strip())
    all_day = _text(form, "all_day") in ("1", "on", "true")
    starts_at, ends_at = _times(form, zone, all_day)
    capacity_text = _text(form, "capacity").strip()
    capacity = _whole(capacity_text, "Capacity", 1, 100_000) if capacity_text else None
    location = _text(form, "location").strip()
    if len(location) > 300:
        raise InvalidEvent("The location can be at most 300 characters.")
    return EventInput(
        title=title,
        description=sanitize_html(_text(form, "description"))[:20_000],
        starts_at=starts_at,
        ends_at=ends_at,
        time_zone=zone.key,
        all_day=all_day,
        location=location,
        map_url=_url(_text(form, "map_url"), "The map link"),
        online_url=_url(_text(form, "online_url"), "The online address"),
        tags=_tags(_text(form, "tags")),
        capacity=capacity,
        rrule=rule_from_form(form, starts_at),
    )


def describe_rule(rule: str | None, weekday_names: Sequence[str] = WEEKDAY_NAMES) -> str:
    """A short English reading of a rule the form makes ("Every 2 weeks on Monday, 10 times")."""
    if not rule:
        return ""
    parts = dict(p.split("=", 1) for p in rule.split(";") if "=" in p)
    unit = {"DAILY": "day", "WEEKLY": "week", "MONTHLY": "month", "YEARLY": "year"}.get(
        parts.get("FREQ", ""), "time"
    )
    interval = int(parts.get("INTERVAL", "1")) if parts.get("INTERVAL", "1").isdigit() else 1
    text = f"Every {unit}" if interval == 1 else f"Every {interval} {unit}s"
    byday = parts.get("BYDAY", "")
    if byday:
        names = []
        for day in byday.split(","):
            nth, code = day[:-2], day[-2:]
            name = weekday_names[WEEKDAYS.index(code)] if code in WEEKDAYS else day
            names.append(f"the {NTHS.get(nth, nth)} {name}" if nth else name)
        text += " on " + ", ".join(names)
    if "BYMONTHDAY" in parts:
        text += f" on day {parts['BYMONTHDAY']}"
    if "COUNT" in parts:
        text += f", {parts['COUNT']} times"
    elif "UNTIL" in parts:
        text += f", until {parts['UNTIL'][:4]}-{parts['UNTIL'][4:6]}-{parts['UNTIL'][6:8]}"
    return text
