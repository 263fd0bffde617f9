"""Timelines in the browser: home (signed in), local, federated, a hashtag's."""

from __future__ import annotations

import re

from quart import Blueprint, abort, current_app, render_template

from federation.bp.social.web import member, page_query
from shared.infrastructure.oauth import current_user, login_required
from shared.infrastructure.runtime import request_session
from shared.services.registry import services

bp = Blueprint("social_timelines", __name__)
TAG = re.compile(r"^\w{1,100}$")


@bp.get("/home")
@login_required
async def get_home_timeline() -> str:
    """The member's home timeline and the compose form."""
    page = await services.social.home_page(request_session(current_app), member().id, page_query())
    return await render_template(
        "federation/social/timeline.html", page=page, title="Home", kind="home", compose=True
    )


@bp.get("/local")
async def get_local_timeline() -> str:
    """Our members' public posts, newest first."""
    viewer = current_user()
    page = await services.social.public_page(
        request_session(current_app), viewer.id if viewer else None, page_query(), local=True
    )
    return await render_template(
        "federation/social/timeline.html", page=page, title="Local", kind="local"
    )


@bp.get("/federated")
async def get_federated_timeline() -> str:
    """Every public post this server knows of, newest first."""
    viewer = current_user()
    page = await services.social.public_page(
        request_session(current_app), viewer.id if viewer else None, page_query()
    )
    return await render_template(
        "federation/social/timeline.html", page=page, title="Federated", kind="federated"
    )


@bp.get("/tags/<tag>")
async def get_tag_timeline(tag: str) -> str:
    """Public posts with this hashtag."""
    if not TAG.match(tag):
        abort(404, description="That is not a hashtag.")
    viewer = current_user()
    page = await services.social.public_page(
        request_session(current_app), viewer.id if viewer else None, page_query(), tag=tag.lower()
    )
    return await render_template(
        "federation/social/timeline.html", page=page, title=f"#{tag.lower()}", kind="tag"
    )
