"""Recurrence: an event as iCalendar (RRULE, EXDATE, RECURRENCE-ID overrides), expanded
in its own zone by `recurring-ical-events`.

Pages and feeds are built from the same VEVENTs (`vevents_of`), so what a feed
reader expands is what our pages list. Expansion is bounded twice: rules are
checked when they are saved (`check_rule`: daily or rarer, with an end, at
most MAX_COUNT occurrences), and every expansion is over a window with at
most MAX_PER_WINDOW occurrences per event, so no rule can stall a page.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from itertools import chain, islice
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import recurring_ical_events
from dateutil.rrule import rrulestr

from shared.contracts.calendars import InvalidEvent, OccurrenceRecord
from shared.models.events import Event, OverrideKind

log = logging.getLogger(__name__)

ALLOWED_FREQS = ("DAILY", "WEEKLY", "MONTHLY", "YEARLY")
ALLOWED_PARTS = {"FREQ", "INTERVAL", "BYDAY", "BYMONTHDAY", "BYMONTH", "BYSETPOS", "COUNT"}
ALLOWED_PARTS |= {"UNTIL", "WKST"}
MAX_COUNT = 1000
MAX_INTERVAL = 99
MAX_SPAN = timedelta(days=366 * 10)
MAX_PER_WINDOW = 1500
UID_DOMAIN = "events.rose-ash"


def event_uid(event_id: int) -> str:
    """Stable per event (and so per series): feed readers update, never duplicate."""
    return f"event-{event_id}@{UID_DOMAIN}"


def event_id_of_uid(uid: str) -> int | None:
    prefix, _, rest = uid.partition("-")
    number, _, domain = rest.partition("@")
    ok = prefix == "event" and domain == UID_DOMAIN and number.isdigit()
    return int(number) if ok else None


def check_rule(rule: str, starts_at: datetime) -> str:
    """The rule, normalised, if it is one we expand; else InvalidEvent saying why."""
    try:
        recur = icalendar.vRecur.from_ical(rule.strip().removeprefix("RRULE:"))
    except (ValueError, TypeError) as exc:
        raise InvalidEvent(f"The repeat rule {rule!r} is not an RFC 5545 RRULE.") from exc
    if not recur.get("FREQ"):
        raise InvalidEvent(f"The repeat rule {rule!r} is not an RFC 5545 RRULE (it has no FREQ).")
    unknown = set(recur) - ALLOWED_PARTS
    if unknown:
        raise InvalidEvent(f"The repeat rule uses {', '.join(sorted(unknown))}, which we refuse.")
    freq = (recur.get("FREQ") or [""])[0]
    if freq not in ALLOWED_FREQS:
        raise InvalidEvent("An event can repeat at most daily (not FREQ=" + f"{freq or '?'}).")
    interval = (recur.get("INTERVAL") or [1])[0]
    if not 1 <= int(interval) <= MAX_INTERVAL:
        raise InvalidEvent(f"The repeat interval must be between 1 and {MAX_INTERVAL}.")
    count, until = recur.get("COUNT"), recur.get("UNTIL")
    if count is None and until is None:
        raise InvalidEvent("A repeating event needs an end: a last date or a number of times.")
    if count is not None and until is not None:
        raise InvalidEvent("A repeating event ends on a date or after a count, not both.")
    if count is not None and not 1 <= int(count[0]) <= MAX_COUNT:
        raise InvalidEvent(f"A series can have at most {MAX_COUNT} occurrences.")
    if until is not None:
        last = until[0]
        last_day = last.date() if isinstance(last, datetime) else last
        if last_day < starts_at.date():
            raise InvalidEvent("The repeat end date is before the first occurrence.")
        if last_day > (starts_at + MAX_SPAN).date():
            raise InvalidEvent("A series can run for at most ten years.")
    return recur.to_ical().decode()


@lru_cache(maxsize=4096)
def _parsed(rule: str) -> icalendar.vRecur | None:
    try:
        return icalendar.vRecur.from_ical(rule.strip().removeprefix("RRULE:"))
    except (ValueError, TypeError):
        return None


def parsed_rule(rule: str) -> icalendar.vRecur | None:
    """The rule parsed (a fresh copy: components may change theirs); None if malformed.
    Parsing is cached: a page of 500 series often repeats a handful of rules."""
    recur = _parsed(rule)
    return None if recur is None else icalendar.vRecur(dict(recur))


def is_expandable(rule: str) -> bool:
    """Rules saved before `check_rule` existed still expand if daily or rarer."""
    recur = _parsed(rule)
    return recur is not None and (recur.get("FREQ") or [""])[0] in ALLOWED_FREQS


def _local(moment: datetime, zone: ZoneInfo) -> datetime:
    return moment.astimezone(zone)


def _day_or_time(moment: datetime, zone: ZoneInfo, all_day: bool) -> date | datetime:
    local = _local(moment, zone)
    return local.date() if all_day else local


def vevents_of(event: Event) -> list[icalendar.Event]:
    """The event's master VEVENT (with RRULE and EXDATEs) and one per moved occurrence."""
    zone = ZoneInfo(event.time_zone)
    master = icalendar.Event()
    master.add("uid", event_uid(event.id))
    master.add("summary", event.title)
    master.add("dtstart", _day_or_time(event.starts_at, zone, event.all_day))
    master.add("dtend", _day_or_time(event.ends_at, zone, event.all_day))
    if event.updated_at is not None:
        master.add("dtstamp", event.updated_at.astimezone(UTC))
    rule = event.rrule if event.rrule and is_expandable(event.rrule) else None
    if rule:
        master.add("rrule", parsed_rule(rule))
    cancelled = [o for o in event.overrides if o.kind == OverrideKind.CANCELLED]
    if rule and cancelled:
        master.add(
            "exdate", [_day_or_time(o.recurrence_id, zone, event.all_day) for o in cancelled]
        )
    vevents = [master]
    for moved in (o for o in event.overrides if o.kind == OverrideKind.MOVED):
        if not rule or moved.starts_at is None or moved.ends_at is None:
            continue
        override = icalendar.Event()
        override.add("uid", event_uid(event.id))
        override.add("summary", event.title)
        override.add("recurrence-id", _day_or_time(moved.recurrence_id, zone, event.all_day))
        override.add("dtstart", _day_or_time(moved.starts_at, zone, event.all_day))
        override.add("dtend", _day_or_time(moved.ends_at, zone, event.all_day))
        vevents.append(override)
    return vevents


def _aware(value: date | datetime, zone: ZoneInfo) -> datetime:
    if isinstance(value, datetime):
        return value.astimezone(zone) if value.tzinfo else value.replace(tzinfo=zone)
    return datetime.combine(value, time(), tzinfo=zone)


def _moment(component: icalendar.Component, name: str) -> date | datetime | None:
    value: Any = getattr(component.get(name), "dt", None)
    return value if isinstance(value, date) else None


def _record(event: Event, component: icalendar.Component) -> OccurrenceRecord:
    zone = ZoneInfo(event.time_zone)
    start = _aware(_moment(component, "DTSTART") or event.starts_at, zone)
    end = _aware(_moment(component, "DTEND") or start, zone)
    rid = _moment(component, "RECURRENCE-ID")
    original = _aware(rid, zone) if rid is not None else start
    calendar = event.calendar
    return OccurrenceRecord(
        event_id=event.id,
        calendar_slug=calendar.slug,
        calendar_name=calendar.name,
        slug=event.slug,
        title=event.title,
        time_zone=event.time_zone,
        starts_at=start,
        ends_at=end,
        recurrence_id=original.astimezone(UTC),
        all_day=event.all_day,
        is_recurring=bool(event.rrule),
        moved=original != start,
        location=event.location,
        online_url=event.online_url,
        tags=tuple(event.tags or ()),
    )


def _calendar_of(events: Iterable[Event]) -> icalendar.Calendar:
    calendar = icalendar.Calendar()
    for event in events:
        for vevent in vevents_of(event):
            calendar.add_component(vevent)
    return calendar


def _by_library(event: Event, start: datetime, end: datetime) -> list[OccurrenceRecord]:
    query = recurring_ical_events.of(_calendar_of([event]))
    return [_record(event, c) for c in islice(query.between(start, end), MAX_PER_WINDOW)]


def _occurrence(
    event: Event, begins: datetime, length: timedelta, rid: datetime
) -> OccurrenceRecord:
    calendar = event.calendar
    return OccurrenceRecord(
        event_id=event.id,
        calendar_slug=calendar.slug,
        calendar_name=calendar.name,
        slug=event.slug,
        title=event.title,
        time_zone=event.time_zone,
        starts_at=begins,
        ends_at=begins + length,
        recurrence_id=rid.astimezone(UTC),
        all_day=event.all_day,
        is_recurring=bool(event.rrule),
        moved=begins != rid,
        location=event.location,
        online_url=event.online_url,
        tags=tuple(event.tags or ()),
    )


def _by_rule(event: Event, start: datetime, end: datetime) -> list[OccurrenceRecord]:
    """The series' occurrences overlapping [start, end), by dateutil in the event's zone.

    An aware DTSTART in a ZoneInfo zone keeps the wall-clock time of every
    occurrence (19:00 stays 19:00 across DST), UNTIL is compared in UTC, DTSTART
    is always the first occurrence (RFC 5545), cancelled ones are EXDATEs and
    moved ones are at their new times: what `recurring-ical-events` makes of
    our feed, which the feed tests check for a year of occurrences.
    """
    assert event.rrule is not None
    zone = ZoneInfo(event.time_zone)
    first = event.starts_at.astimezone(zone)
    if event.all_day:
        first = datetime.combine(first.date(), time(), zone)
    length = event.ends_at.astimezone(zone) - event.starts_at.astimezone(zone)
    rule = rrulestr(event.rrule.removeprefix("RRULE:"), dtstart=first)
    cancelled = {o.recurrence_id for o in event.overrides if o.kind == OverrideKind.CANCELLED}
    moved = {
        o.recurrence_id: o
        for o in event.overrides
        if o.kind == OverrideKind.MOVED and o.starts_at is not None and o.ends_at is not None
    }
    found: list[OccurrenceRecord] = []
    candidates = rule.xafter(start - length, inc=True)
    if first >= start - length and first not in (rule.after(first, inc=True),):
        candidates = chain([first], candidates)
    for begins in islice(candidates, MAX_PER_WINDOW):
        if begins >= end:
            break
        rid = begins.astimezone(UTC)
        if rid in cancelled or rid in moved or begins + length <= start:
            continue
        found.append(_occurrence(event, begins, length, rid))
    for rid, override in moved.items():
        assert override.starts_at is not None and override.ends_at is not None
        if override.starts_at < end and override.ends_at > start:
            begins = override.starts_at.astimezone(zone)
            found.append(_occurrence(event, begins, override.ends_at - override.starts_at, rid))
    return found


def _single(event: Event, start: datetime, end: datetime) -> list[OccurrenceRecord]:
    """A one-off event (or a series whose rule we refuse: its first date only)."""
    zone = ZoneInfo(event.time_zone)
    begins = event.starts_at.astimezone(zone)
    if event.all_day:
        begins = datetime.combine(begins.date(), time(), zone)
    length = event.ends_at.astimezone(zone) - event.starts_at.astimezone(zone)
    if begins < end and begins + length > start:
        return [_occurrence(event, begins, length, begins)]
    return []


def occurrences_between(
    events: Sequence[Event], start: datetime, end: datetime
) -> list[OccurrenceRecord]:
    """Every occurrence overlapping [start, end) of these events, soonest first."""
    found: list[OccurrenceRecord] = []
    for event in events:
        # One event at a time: a bad rule costs that event, not the page.
        try:
            if not event.rrule or not is_expandable(event.rrule):
                found.extend(_single(event, start, end))
            else:
                try:
                    found.extend(_by_rule(event, start, end))
                except ValueError:
                    # A rule dateutil refuses (a floating UNTIL with a zoned start):
                    # the iCalendar library reads it as a feed reader would.
                    found.extend(_by_library(event, start, end))
        except (ValueError, TypeError, OverflowError) as exc:
            log.warning("event %s: rule %r cannot be expanded (%s)", event.id, event.rrule, exc)
    found.sort(key=lambda o: (o.starts_at, o.event_id))
    return found


def next_occurrence(event: Event, now: datetime) -> OccurrenceRecord | None:
    """The first occurrence that has not ended by `now`, within a year and a day."""
    if not event.rrule:
        if event.ends_at <= now:
            return None
        return occurrences_between([event], event.starts_at, event.ends_at + timedelta(seconds=1))[
            0
        ]
    if not is_expandable(event.rrule):
        log.warning("event %s: rule %r repeats too often to list", event.id, event.rrule)
        return None
    upcoming = occurrences_between([event], now, now + timedelta(days=367))
    return upcoming[0] if upcoming else None


def find_occurrence(event: Event, recurrence_id: datetime) -> OccurrenceRecord | None:
    """The occurrence whose original start is `recurrence_id` (cancelled ones: None)."""
    moved = {o.recurrence_id: o for o in event.overrides if o.kind == OverrideKind.MOVED}
    if recurrence_id in moved and moved[recurrence_id].starts_at is not None:
        override = moved[recurrence_id]
        assert override.starts_at is not None and override.ends_at is not None
        window = (override.starts_at, override.ends_at + timedelta(seconds=1))
    else:
        duration = event.ends_at - event.starts_at
        window = (recurrence_id, recurrence_id + duration + timedelta(seconds=1))
    for occurrence in occurrences_between([event], *window):
        if occurrence.recurrence_id == recurrence_id:
            return occurrence
    return None
