"""Ghost sync's page for editors and administrators: is Ghost reachable, how did the
last runs go, and "Sync now" (one queued run however often it is pressed)."""

from __future__ import annotations

from quart import Blueprint, Response, abort, current_app, redirect, render_template, request

from shared.infrastructure.ghost import GhostClient, GhostError
from shared.infrastructure.runtime import request_session, runtime, unit_of_work
from shared.infrastructure.viewer import current_viewer
from shared.services.blog.ghost_sync.jobs import queue_sync_now
from shared.services.blog.ghost_sync.runs import import_complete, last_runs, states
from shared.services.blog.staff import get_staff_member

bp = Blueprint("admin_ghost", __name__, url_prefix="/admin/ghost")

# The page asks Ghost once; a slow Ghost must not make the page slow.
CHECK_TIMEOUT_S = 3.0


@bp.before_request
async def require_editor() -> None:
    member = await get_staff_member(request_session(current_app), current_viewer())
    if member is None or not member.edits_everyone:
        abort(403, description="Only the blog's editors and administrators manage Ghost sync.")


async def _connection() -> tuple[str, str | None]:
    """("off" | "connected" | "unreachable", what Ghost said)."""
    settings = runtime(current_app).settings
    if not settings.ghost.url:
        return "off", None
    client = GhostClient(settings.ghost.url, settings.ghost.admin_key, timeout=CHECK_TIMEOUT_S)
    try:
        page = await client.browse("posts", limit=1, filter="status:published", fields="id")
    except GhostError as exc:
        return "unreachable", str(exc)
    finally:
        await client.aclose()
    return "connected", f"{page.total} published posts in Ghost"


@bp.get("/")
async def get_ghost() -> str:
    session = request_session(current_app)
    connection, detail = await _connection()
    return await render_template(
        "blog/admin/ghost/index.html",
        ghost_url=runtime(current_app).settings.ghost.url,
        connection=connection,
        detail=detail,
        runs=await last_runs(session),
        states=await states(session),
        imported=await import_complete(session),
        queued=request.args.get("queued"),
    )


@bp.post("/sync")
async def post_sync() -> Response:
    if not runtime(current_app).settings.ghost.url:
        abort(400, description="Ghost sync is off: set GHOST_URL and GHOST_ADMIN_KEY first.")
    async with unit_of_work(current_app) as uow:
        queued = await queue_sync_now(uow.session)
    return redirect(f"/admin/ghost/?queued={'new' if queued else 'already'}", 303)
