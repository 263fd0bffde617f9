"""Who may do what in the market: members apply, owners and helpers manage, admins review.

Every management route goes through `managed_stall`, so no route forgets the check.
"""

from __future__ import annotations

from quart import abort, current_app

from shared.contracts.dtos import UserRecord
from shared.contracts.market import StallRecord
from shared.infrastructure.runtime import request_session
from shared.infrastructure.viewer import current_viewer
from shared.services.registry import services


def signed_in(action: str) -> UserRecord:
    """The signed-in member, or 403 saying they must sign in to `action`."""
    viewer = current_viewer()
    if viewer is None:
        abort(403, description=f"Sign in to {action}.")
    return viewer


def require_admin() -> UserRecord:
    viewer = current_viewer()
    if viewer is None or not viewer.is_admin:
        abort(403, description="Only the site's admins do this.")
    return viewer


async def managed_stall(slug: str) -> StallRecord:
    """The stall at `slug` if the viewer owns or helps with it (or is an admin): else 403
    (404 when there is no such stall)."""
    viewer = signed_in("manage a stall")
    session = request_session(current_app)
    stall = await services.market.get_stall(session, slug)
    if stall is None:
        abort(404)
    if not viewer.is_admin and not await services.market.can_manage_stall(
        session, stall.id, viewer.id
    ):
        abort(403, description="Only the stall's owner and helpers manage it.")
    return stall


async def can_see_stall(stall: StallRecord) -> bool:
    """Approved stalls are public; a pending one only to its managers and admins."""
    if stall.status == "approved":
        return True
    viewer = current_viewer()
    if viewer is None:
        return False
    return viewer.is_admin or await services.market.can_manage_stall(
        request_session(current_app), stall.id, viewer.id
    )
