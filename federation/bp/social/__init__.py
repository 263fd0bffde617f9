"""The social hub members use in a browser: timelines, compose, profiles and follows,
notifications, moderation. Each module is one resource's blueprint; `install_social`
registers them all and the error page for a refused action."""

from __future__ import annotations

import json

from quart import Quart, Response, render_template, request

from shared.contracts.social import SocialError


async def refused(error: SocialError) -> tuple[Response | str, int]:
    """A refused action: Mastodon's JSON error for the client API, a page otherwise."""
    if request.path.startswith(("/api/", "/oauth/")):
        body = json.dumps({"error": error.message})
        return Response(body, content_type="application/json"), error.status
    page = await render_template(
        "errors/error.html", code=error.status, title="That did not work", message=error.message
    )
    return page, error.status


def install_social(app: Quart) -> None:
    from federation.bp.social.accounts import bp as accounts_bp
    from federation.bp.social.admin import bp as admin_bp
    from federation.bp.social.notifications import bp as notifications_bp
    from federation.bp.social.statuses import bp as statuses_bp
    from federation.bp.social.timelines import bp as timelines_bp

    for bp in (timelines_bp, statuses_bp, accounts_bp, notifications_bp, admin_bp):
        app.register_blueprint(bp)
    app.register_error_handler(SocialError, refused)
