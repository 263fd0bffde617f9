"""Widgets: the iframe page may be framed by any site (only it), the component's JSON
may be read by any origin, and a private calendar's widget is a 404."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from shared.models.events import Calendar
from tests.events.bp.conftest import EventsApp
from tests.support.factories import add, make_calendar, make_event, now


async def test_the_widget_page_is_frameable_and_lists_upcoming_events(
    db: AsyncSession, events_client: EventsApp
) -> None:
    calendar = await make_calendar(db, "Allotments")
    await make_event(db, calendar, "Harvest", now() + timedelta(days=3))
    client = await events_client()

    widget = await client.get(f"/widgets/{calendar.slug}/")
    page = await client.get(f"/{calendar.slug}/")

    assert widget.status_code == 200 and "Harvest" in await widget.get_data(as_text=True)
    assert "X-Frame-Options" not in widget.headers
    assert "frame-ancestors *" in widget.headers["Content-Security-Policy"]
    assert page.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]


async def test_the_component_reads_json_across_origins_and_its_script_is_served(
    db: AsyncSession, events_client: EventsApp
) -> None:
    calendar = await make_calendar(db)
    await make_event(db, calendar, "Harvest", now() + timedelta(days=3))
    client = await events_client()

    data = await client.get(f"/widgets/{calendar.slug}/events.json?limit=3")
    script = await client.get("/widgets/rose-ash-events.js")

    assert data.headers["Access-Control-Allow-Origin"] == "*"
    assert [e["title"] for e in (await data.get_json())["events"]] == ["Harvest"]
    assert script.mimetype == "text/javascript"
    assert 'customElements.define("rose-ash-events"' in await script.get_data(as_text=True)


async def test_a_private_calendar_has_no_widget(db: AsyncSession, events_client: EventsApp) -> None:
    await add(db, Calendar(slug="hidden", name="Hidden", is_private=True))
    client = await events_client()
    assert (await client.get("/widgets/hidden/")).status_code == 404
    assert (await client.get("/widgets/hidden/events.json")).status_code == 404
    assert (await client.get("/widgets/nope/")).status_code == 404
    public = await make_calendar(db)
    assert (await client.get(f"/widgets/{public.slug}/events.json?limit=-1")).status_code == 400
