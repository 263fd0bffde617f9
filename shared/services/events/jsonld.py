"""schema.org `Event` JSON-LD for an event page, so search engines read it as an event."""

from __future__ import annotations

from typing import Any

from shared.contracts.calendars import OccurrenceRecord
from shared.models.events import Event, EventStatus
from shared.services.federating import plain_text


def event_json_ld(event: Event, occurrence: OccurrenceRecord, base_url: str) -> dict[str, Any]:
    url = f"{base_url}/{event.calendar.slug}/{event.slug}/"
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "Event",
        "name": event.title,
        "url": url,
        "startDate": (
            occurrence.starts_at.date().isoformat()
            if event.all_day
            else occurrence.starts_at.isoformat()
        ),
        "endDate": (
            occurrence.ends_at.date().isoformat()
            if event.all_day
            else occurrence.ends_at.isoformat()
        ),
        "eventStatus": "https://schema.org/"
        + (
            "EventCancelled"
            if event.status == EventStatus.CANCELLED
            else "EventRescheduled"
            if occurrence.moved
            else "EventScheduled"
        ),
        "organizer": {
            "@type": "Organization",
            "name": event.calendar.name,
            "url": f"{base_url}/{event.calendar.slug}/",
        },
    }
    description = plain_text(event.description)
    if description:
        data["description"] = description
    places: list[dict[str, Any]] = []
    if event.location:
        places.append({"@type": "Place", "name": event.location, "address": event.location})
    if event.online_url:
        places.append({"@type": "VirtualLocation", "url": event.online_url})
    if places:
        data["location"] = places[0] if len(places) == 1 else places
        data["eventAttendanceMode"] = "https://schema.org/" + (
            "MixedEventAttendanceMode"
            if len(places) == 2
            else "OnlineEventAttendanceMode"
            if event.online_url
            else "OfflineEventAttendanceMode"
        )
    if event.image:
        data["image"] = f"{base_url}{event.image}" if event.image.startswith("/") else event.image
    return data
