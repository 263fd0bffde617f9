"""The events domain: calendars, events and their recurrence, feeds, bookings, tickets.

`SqlEventsService` is the registry's `services.events` (what other apps ask of
events); the events app's own routes call the modules of this package.
"""

from shared.services.events.upcoming import SqlEventsService

__all__ = ["SqlEventsService"]
