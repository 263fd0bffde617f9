"""The blog's front page: featured posts, then the newest, paginated; what's on beside."""

from quart import Blueprint, current_app, render_template, request

from blog.config import HOME_FEATURED_POSTS, HOME_PAGE_EVENTS, HOME_PAGE_POSTS, MAX_PAGE
from shared.contracts.widgets import FragmentRequest
from shared.infrastructure.fragments import page_fragments
from shared.infrastructure.params import whole_number
from shared.infrastructure.runtime import request_session
from shared.services.registry import services

bp = Blueprint("home", __name__)


def page_number() -> int:
    """`?page=` as a page number from 1 (a 400 for anything else)."""
    page = whole_number(request.args.get("page"), "page", default=1, maximum=MAX_PAGE)
    return max(page or 1, 1)


@bp.get("/")
async def get_home() -> str:
    # Started first, so the events fetch runs alongside the posts query.
    page_fragments(FragmentRequest.of("upcoming-events", limit=HOME_PAGE_EVENTS))
    page = page_number()
    session = request_session(current_app)
    featured = []
    if page == 1:
        featured, _ = await services.blog.list_reading_posts(
            session, per_page=HOME_FEATURED_POSTS, featured=True
        )
    posts, has_next = await services.blog.list_reading_posts(
        session, page=page, per_page=HOME_PAGE_POSTS
    )
    shown = {post.id for post in featured}
    return await render_template(
        "blog/home/index.html",
        featured=featured,
        posts=[post for post in posts if post.id not in shown],
        page=page,
        has_next=has_next,
    )
