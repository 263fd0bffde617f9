"""Demo events: a weekly series over a daylight-saving change with one occurrence
cancelled and one moved, ticketed events, a booked-out workshop with a waiting list,
and calendars on a blog post, on a stall and on the market's Saturday page."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.models.blog import Post
from shared.models.events import Booking, Calendar, Event, EventOverride, TicketType
from shared.models.identity import User
from shared.models.market import MarketPage, Stall

LONDON = ZoneInfo("Europe/London")


def _at(days: int, hour: int, minute: int = 0) -> datetime:
    base = datetime.now(UTC).replace(hour=hour, minute=minute, second=0, microsecond=0)
    return base + timedelta(days=days)


def _local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), LONDON)


def _next_weekday(weekday: int) -> date:
    today = datetime.now(LONDON).date() + timedelta(days=1)
    return today + timedelta(days=(weekday - today.weekday()) % 7)


def _token(label: str) -> str:
    # Demo bookings need a token hash; nobody holds these tokens.
    return hashlib.sha256(f"demo-booking-{label}".encode()).hexdigest()


def _choir(calendar: Calendar) -> Event:
    """Thursdays 19:00 London for 36 weeks: over a clock change whenever it is seeded."""
    first = _next_weekday(3)
    choir = Event(
        calendar=calendar,
        slug="community-choir",
        title="Community choir",
        description="<p>Sing with neighbours: no auditions, tea at half time.</p>",
        starts_at=_local(first, 19),
        ends_at=_local(first, 21),
        time_zone="Europe/London",
        rrule="FREQ=WEEKLY;BYDAY=TH;COUNT=36",
        location="St Mary's Hall, Ash Lane",
        tags=["music", "community"],
        status="published",
    )
    cancelled, moved = first + timedelta(weeks=2), first + timedelta(weeks=4)
    choir.overrides = [
        EventOverride(recurrence_id=_local(cancelled, 19).astimezone(UTC), kind="cancelled"),
        EventOverride(
            recurrence_id=_local(moved, 19).astimezone(UTC),
            kind="moved",
            starts_at=_local(moved + timedelta(days=1), 18),
            ends_at=_local(moved + timedelta(days=1), 20),
        ),
    ]
    return choir


async def seed_events(session: AsyncSession, users: dict[str, User]) -> None:
    community = Calendar(
        slug="community",
        name="Community calendar",
        description="Markets, workshops and gatherings.",
        owner_id=users["ada"].id,
    )
    winter_market = Event(
        calendar=community,
        slug="winter-market",
        title="Winter market and lantern walk",
        description="<p>Twelve stalls, hot cider and a lantern walk at dusk.</p>",
        starts_at=_at(6, 11),
        ends_at=_at(6, 17),
        location="Ash Lane Community Hall",
        tags=["market", "community"],
        status="published",
        overrides=[],
    )
    sourdough = Event(
        calendar=community,
        slug="sourdough-workshop",
        title="Sourdough workshop",
        description="<p>Bake your first loaf with Ada. Starter and flour provided.</p>",
        starts_at=_at(10, 10),
        ends_at=_at(10, 13),
        location="Okafor Bakery",
        tags=["food", "workshop"],
        status="published",
        overrides=[],
    )
    repair_cafe = Event(
        calendar=community,
        slug="repair-cafe",
        title="Repair café",
        description="<p>Bring something broken; leave with it fixed, or knowing why not.</p>",
        starts_at=_at(3, 14),
        ends_at=_at(3, 16),
        rrule="FREQ=WEEKLY;INTERVAL=2;COUNT=26",
        location="The Old Library",
        tags=["repair", "community"],
        capacity=20,
        status="published",
        overrides=[],
    )
    beekeeping = Event(
        calendar=community,
        slug="beekeeping-taster",
        title="Beekeeping taster",
        description="<p>An afternoon at the hives with Cleo. Suits and veils provided.</p>",
        starts_at=_at(12, 13),
        ends_at=_at(12, 16),
        location="Marsh edge apiary",
        tags=["workshop", "nature"],
        capacity=2,
        status="published",
        overrides=[],
    )
    harvest = Event(
        calendar=community,
        slug="autumn-harvest-supper",
        title="Autumn harvest supper",
        starts_at=_at(-20, 18),
        ends_at=_at(-20, 22),
        location="Ash Lane Community Hall",
        status="published",
        overrides=[],
    )
    session.add_all(
        [community, winter_market, sourdough, repair_cafe, beekeeping, harvest, _choir(community)]
    )
    session.add_all(
        [
            TicketType(event=winter_market, name="Lantern walk", price_minor=500, quantity=150),
            TicketType(event=sourdough, name="Workshop place", price_minor=3500, quantity=12),
        ]
    )
    # Booked out: two places taken, one member waiting.
    for label, (who, status) in enumerate(
        [("ben", "confirmed"), ("cleo", "confirmed"), ("ada", "waiting")]
    ):
        session.add(
            Booking(
                event=beekeeping,
                user_id=users[who].id,
                name=users[who].display_name,
                occurrence_start=beekeeping.starts_at,
                seats=1,
                status=status,
                token_hash=_token(str(label)),
            )
        )
    await session.flush()
    await _container_calendars(session, users)
    await _market_page_calendar(session, users)


async def _container_calendars(session: AsyncSession, users: dict[str, User]) -> None:
    post = await session.scalar(select(Post).where(Post.slug == "the-winter-market-returns"))
    stall = await session.scalar(select(Stall).where(Stall.slug == "marsh-honey"))
    if post is not None:
        calendar = Calendar(
            slug="winter-market-dates",
            name="Winter market dates",
            owner_id=users["ada"].id,
            container_type="post",
            container_id=post.id,
        )
        session.add_all(
            [
                calendar,
                Event(
                    calendar=calendar,
                    slug="setting-up-the-stalls",
                    title="Setting up the stalls",
                    starts_at=_at(5, 16),
                    ends_at=_at(5, 19),
                    location="Ash Lane Community Hall",
                    status="published",
                    overrides=[],
                ),
            ]
        )
    if stall is not None:
        calendar = Calendar(
            slug="marsh-honey-open-days",
            name="Marsh Honey open days",
            owner_id=users["cleo"].id,
            container_type="stall",
            container_id=stall.id,
        )
        # The first Saturday of next month, so DTSTART is on the rule.
        month = (datetime.now(LONDON).date().replace(day=28) + timedelta(days=4)).replace(day=1)
        first = month + timedelta(days=(5 - month.weekday()) % 7)
        session.add_all(
            [
                calendar,
                Event(
                    calendar=calendar,
                    slug="open-apiary",
                    title="Open apiary",
                    description="<p>Taste this year's honey straight from the comb.</p>",
                    starts_at=_local(first, 10),
                    ends_at=_local(first, 12),
                    time_zone="Europe/London",
                    rrule="FREQ=MONTHLY;BYDAY=1SA;COUNT=6",
                    location="Marsh edge apiary",
                    tags=["nature"],
                    status="published",
                    overrides=[],
                ),
            ]
        )
    await session.flush()


async def _market_page_calendar(session: AsyncSession, users: dict[str, User]) -> None:
    """The calendar the market's "Saturday market at the hall" page shows beside its stalls."""
    page = await session.scalar(select(MarketPage).where(MarketPage.slug == "saturday-market"))
    if page is None:
        return
    calendar = Calendar(
        slug="saturday-market-dates",
        name="Saturday market dates",
        owner_id=users["ada"].id,
        container_type="market_page",
        container_id=page.id,
    )
    saturday = _next_weekday(5)  # DTSTART on the rule: a Saturday
    session.add_all(
        [
            calendar,
            Event(
                calendar=calendar,
                slug="saturday-market",
                title="Saturday market",
                description="<p>Bread, honey and pots at the hall; collect what you "
                "pre-ordered at the stalls.</p>",
                starts_at=_local(saturday, 10),
                ends_at=_local(saturday, 13),
                time_zone="Europe/London",
                rrule="FREQ=WEEKLY;BYDAY=SA;COUNT=12",
                location="Ash Lane Community Hall",
                tags=["market"],
                status="published",
                overrides=[],
            ),
        ]
    )
    await session.flush()
