"""The blog's front page: the newest published posts, and what's on (from events)."""

from quart import Blueprint, current_app, render_template

from blog.config import HOME_PAGE_EVENTS, HOME_PAGE_POSTS
from shared.contracts.widgets import FragmentRequest
from shared.infrastructure.fragments import page_fragments
from shared.infrastructure.runtime import request_session
from shared.services.registry import services

bp = Blueprint("home", __name__)


@bp.get("/")
async def get_home() -> str:
    # Started first, so the events fetch runs alongside the posts query.
    page_fragments(FragmentRequest.of("upcoming-events", limit=HOME_PAGE_EVENTS))
    posts = await services.blog.list_published_posts(
        request_session(current_app), limit=HOME_PAGE_POSTS
    )
    return await render_template("blog/home/index.html", posts=posts)
