"""An author's page: `/author/<slug>/`, their published posts, newest first."""

from quart import Blueprint, abort, current_app, render_template

from blog.bp.home import page_number
from blog.config import AUTHOR_PAGE_POSTS
from shared.infrastructure.runtime import request_session
from shared.services.registry import services

bp = Blueprint("authors", __name__)


@bp.get("/author/<slug>/")
async def get_author(slug: str) -> str:
    """The author's byline and posts; 404 when there is no such author."""
    session = request_session(current_app)
    author = await services.blog.get_author(session, slug)
    if author is None:
        abort(404)
    page = page_number()
    posts, has_next = await services.blog.list_reading_posts(
        session, page=page, per_page=AUTHOR_PAGE_POSTS, author_slug=author.slug
    )
    return await render_template(
        "blog/authors/show.html", author=author, posts=posts, page=page, has_next=has_next
    )
