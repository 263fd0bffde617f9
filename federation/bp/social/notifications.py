"""Notifications in the browser, grouped (Mastodon 4.3); opening them marks them read."""

from __future__ import annotations

from quart import Blueprint, current_app, render_template, request

from federation.bp.social.web import member
from shared.infrastructure.oauth import login_required
from shared.infrastructure.params import whole_number
from shared.infrastructure.runtime import unit_of_work
from shared.services.registry import services

bp = Blueprint("social_notifications", __name__)


@bp.get("/notifications")
@login_required
async def get_notifications() -> str:
    max_id = whole_number(request.args.get("max_id"), "max_id")
    social = services.social
    # Reading them is what marks them read: a write, in a unit of work.
    async with unit_of_work(current_app) as uow:
        groups = await social.list_notification_groups(uow.session, member().id, max_id=max_id)
        await social.mark_notifications_read(uow.session, member().id)
    older = min((g.page_min_id for g in groups), default=None)
    return await render_template("federation/social/notifications.html", groups=groups, older=older)
