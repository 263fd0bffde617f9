"""A tag's archive: `/tag/<slug>/`, its published posts, newest first (Ghost's URL)."""

from quart import Blueprint, abort, current_app, render_template

from blog.bp.home import page_number
from blog.config import HOME_PAGE_EVENTS, TAG_PAGE_POSTS
from shared.contracts.widgets import FragmentRequest
from shared.infrastructure.fragments import page_fragments
from shared.infrastructure.runtime import request_session
from shared.services.registry import services

bp = Blueprint("tags", __name__)


@bp.get("/tag/<slug>/")
async def get_tag(slug: str) -> str:
    """The tag's posts; 404 when there is no such (public) tag."""
    page_fragments(FragmentRequest.of("upcoming-events", limit=HOME_PAGE_EVENTS))
    session = request_session(current_app)
    tag = await services.blog.get_tag(session, slug)
    if tag is None:
        abort(404)
    page = page_number()
    posts, has_next = await services.blog.list_reading_posts(
        session, page=page, per_page=TAG_PAGE_POSTS, tag_slug=tag.slug
    )
    return await render_template(
        "blog/tags/show.html", tag=tag, posts=posts, page=page, has_next=has_next
    )
