"""The Jinja environment every app shares: loaders, filters and globals."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from jinja2 import ChoiceLoader, FileSystemLoader
from quart import Quart

from shared.contracts.money import format_money

SHARED_TEMPLATES = Path(__file__).resolve().parents[1] / "templates"

DISPLAY_TIME_ZONE = "Europe/London"


def _localise(value: datetime, tz: str | None) -> datetime:
    aware = value if value.tzinfo else value.replace(tzinfo=UTC)
    return aware.astimezone(ZoneInfo(tz or DISPLAY_TIME_ZONE))


def format_datetime(value: datetime, tz: str | None = None) -> str:
    """`Sat 28 Nov 2026, 19:30` in the given zone (the site's by default)."""
    local = _localise(value, tz)
    return f"{local:%a} {local.day} {local:%b %Y, %H:%M}"


def format_date(value: datetime, tz: str | None = None) -> str:
    """`28 November 2026`."""
    local = _localise(value, tz)
    return f"{local.day} {local:%B %Y}"


def format_time(value: datetime, tz: str | None = None) -> str:
    return f"{_localise(value, tz):%H:%M}"


def format_month(value: datetime, tz: str | None = None) -> str:
    """`November 2026`: the heading that groups a list by month."""
    return f"{_localise(value, tz):%B %Y}"


def format_zone(value: datetime, tz: str | None = None) -> str:
    """The zone's abbreviation at that instant (`GMT`, `BST`, `CET`), to label times."""
    return _localise(value, tz).tzname() or ""


@dataclass(frozen=True, slots=True)
class DateParts:
    """A date split for a calendar-style badge: `Sat` / `28` / `Nov`."""

    weekday: str
    day: int
    month: str
    year: int


def date_parts(value: datetime, tz: str | None = None) -> DateParts:
    local = _localise(value, tz)
    return DateParts(weekday=f"{local:%a}", day=local.day, month=f"{local:%b}", year=local.year)


def configure_jinja(app: Quart, app_templates: Path) -> None:
    """App templates first (they may override shared ones by name), then shared."""
    app.jinja_loader = ChoiceLoader(
        [FileSystemLoader(str(app_templates)), FileSystemLoader(str(SHARED_TEMPLATES))]
    )
    app.jinja_env.filters.update(
        money=format_money,
        datetime=format_datetime,
        date=format_date,
        time=format_time,
        month=format_month,
        zone=format_zone,
        date_parts=date_parts,
    )
    app.jinja_env.globals["now"] = lambda: datetime.now(UTC)
