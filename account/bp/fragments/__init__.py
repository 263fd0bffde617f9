"""HTML fragments the account app serves to the others at /internal/fragments/<type>.

`/internal/*` is guarded for the whole app (shared.infrastructure.internal):
only requests carrying the internal token get here, with the viewer signed.
"""

from quart import Blueprint, current_app, render_template

from shared.infrastructure.internal import internal_viewer
from shared.infrastructure.runtime import request_session
from shared.services.registry import services

bp = Blueprint("fragments", __name__, url_prefix="/internal/fragments")


@bp.get("/user-menu")
async def get_user_menu() -> str:
    """The signed-in member's name and links, or the way to sign in."""
    viewer = internal_viewer()
    user, unread = None, 0
    if viewer.user_id is not None:
        session = request_session(current_app)
        user = await services.identity.get_user(session, viewer.user_id)
        # The social hub's unread notifications (dropped from the cache when it changes).
        unread = await services.social.count_unread_notifications(session, viewer.user_id)
    return await render_template("account/fragments/user_menu.html", user=user, unread=unread)


@bp.get("/newsletter-signup")
async def get_newsletter_signup() -> str:
    """The footer's subscribe form (the same for everyone: it asks for an address)."""
    newsletters = await services.newsletters.list_newsletters(request_session(current_app))
    return await render_template(
        "account/fragments/newsletter_signup.html", newsletters=newsletters
    )
