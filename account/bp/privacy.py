"""Privacy: download my data (a JSON archive), after re-entering the password.

Each domain exports its own part through the registry (account reads no other
domain's tables): profile, orders (cart), tickets and bookings (events), the
posts they wrote (blog), newsletter subscriptions and whom they follow (social).
"""

import json
from datetime import UTC, datetime

from quart import Blueprint, Response, abort, current_app, render_template, request

from account.bp.deletion import page_facts
from shared.infrastructure.oauth import login_required
from shared.infrastructure.runtime import request_session
from shared.infrastructure.viewer import current_viewer
from shared.services.registry import services

bp = Blueprint("privacy", __name__, url_prefix="/privacy")


@bp.get("/")
@login_required
async def get_privacy() -> str:
    return await render_template("account/privacy/index.html", **await page_facts())


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
        "orders": await services.cart.export_member_orders(session, member.id),
        **await services.events.export_member_events(session, member.id),
        "posts": await services.blog.export_member_posts(session, member.id),
        # Subscriptions: the newsletters they receive, and whom they follow on the fediverse.
        "newsletters": await services.newsletters.export_member_data(session, member),
        "following": [
            {"account": f.following, "status": f.status}
            for f in await services.social.list_following(session, member.username)
        ],
    }
    return Response(
        json.dumps(archive, indent=2, ensure_ascii=False),
        mimetype="application/json",
        headers={
            "Content-Disposition": f'attachment; filename="rose-ash-{member.username}.json"',
            "Cache-Control": "no-store",
        },
    )
