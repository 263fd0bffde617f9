"""HTML fragments the blog app serves to the others at /internal/fragments/<type>.

`/internal/*` is guarded for the whole app (shared.infrastructure.internal):
only requests carrying the internal token get here.
"""

from quart import Blueprint, abort, current_app, render_template, request

from shared.infrastructure.runtime import request_session
from shared.services.navigation import MENUS
from shared.services.registry import services

bp = Blueprint("fragments", __name__, url_prefix="/internal/fragments")


@bp.get("/nav")
async def get_nav() -> str:
    """The site navigation menu (managed at /admin/navigation/), then the other apps.

    `current` names the app whose page it goes on, to mark its tab.
    """
    menu = request.args.get("menu", "primary")
    if menu not in MENUS:
        abort(400, description=f"menu must be one of {', '.join(MENUS)}")
    items = await services.blog.list_navigation_items(request_session(current_app), menu)
    current = request.args.get("current", "")
    return await render_template("blog/fragments/nav.html", items=items, current=current)
