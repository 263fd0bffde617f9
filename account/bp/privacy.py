"""Privacy: download my data (a JSON archive), after re-entering the password.

The archive holds what the member's account and the newsletters domain know.
Orders, tickets, bookings and posts join it when their domains offer an export
through the registry (`not_included` says so in the file, not silently).
"""

import json
from datetime import UTC, datetime

from quart import Blueprint, Response, abort, current_app, render_template, request

from shared.infrastructure.oauth import login_required
from shared.infrastructure.runtime import request_session
from shared.infrastructure.viewer import current_viewer
from shared.services.registry import services

bp = Blueprint("privacy", __name__, url_prefix="/privacy")
NOT_YET_EXPORTED = ("orders", "tickets", "bookings", "posts")


@bp.get("/")
@login_required
async def get_privacy() -> str:
    return await render_template("account/privacy/index.html", not_included=NOT_YET_EXPORTED)


@bp.post("/export")
@login_required
async def post_export() -> Response:
    """The member's data as a download; 403 unless the password given is theirs."""
    member = current_viewer()
    assert member is not None
    form = await request.form
    session = request_session(current_app)
    confirmed = await services.identity.authenticate(
        session, member.username, form.get("password", "")
    )
    if confirmed is None or confirmed.id != member.id:
        abort(403, description="That is not your password: nothing was exported.")
    archive = {
        "exported_at": datetime.now(UTC).isoformat(),
        "profile": {
            "username": member.username,
            "display_name": member.display_name,
            "email": member.email,
        },
        "newsletters": await services.newsletters.export_member_data(session, member),
        "not_included": list(NOT_YET_EXPORTED),
    }
    return Response(
        json.dumps(archive, indent=2, ensure_ascii=False),
        mimetype="application/json",
        headers={
            "Content-Disposition": f'attachment; filename="rose-ash-{member.username}.json"',
            "Cache-Control": "no-store",
        },
    )
