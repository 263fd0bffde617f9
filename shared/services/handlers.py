"""The one list that wires who reacts to each domain event (cosmicpython's HANDLERS table).

Inside handlers run in the transaction that recorded the event and roll back
with it; after-commit handlers run once it has committed. Each line says why.
"""

from __future__ import annotations

from shared.contracts.events import EventHandlers


def event_handlers() -> EventHandlers:
    table = EventHandlers()
    return table
