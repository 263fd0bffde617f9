"""Who is looking at this page: the one place the rest of the code asks.

Single sign-on sets `g.viewer` for the request (a UserRecord, or None for an
anonymous visitor); fragments, templates and routes read it here, so they do
not depend on how the session was established.
"""

from __future__ import annotations

from quart import g

from shared.contracts.dtos import UserRecord


def set_viewer(user: UserRecord | None) -> None:
    g.viewer = user


def current_viewer() -> UserRecord | None:
    """The signed-in member making this request, or None."""
    return g.get("viewer")
