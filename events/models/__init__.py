"""The events app's models: re-exported from `shared.models.events`, where they live."""

from shared.models.events import Booking, Calendar, Event, Ticket, TicketType

__all__ = [
    "Booking",
    "Calendar",
    "Event",
    "Ticket",
    "TicketType",
]
