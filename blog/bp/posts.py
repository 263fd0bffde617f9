"""A post (or page) on its own: `/<slug>/`, with the events of its calendar beside it."""

from quart import Blueprint, abort, current_app, render_template

from blog.config import POST_PAGE_EVENTS
from shared.contracts.widgets import FragmentRequest
from shared.infrastructure.fragments import page_fragments
from shared.infrastructure.runtime import request_session
from shared.services.registry import services

bp = Blueprint("posts", __name__)


@bp.get("/<slug>/")
async def get_post(slug: str) -> str:
    """A published public post or page; 404 for drafts and anything unknown."""
    post = await services.blog.get_published_post(request_session(current_app), slug)
    if post is None:
        abort(404)
    page_fragments(
        FragmentRequest.of(
            "upcoming-events", limit=POST_PAGE_EVENTS, container_type="post", container_id=post.id
        )
    )
    return await render_template("blog/posts/show.html", post=post)
