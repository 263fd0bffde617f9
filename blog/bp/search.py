"""Full-text search: `/search/?q=`, over titles, excerpts and bodies, best match first."""

from quart import Blueprint, current_app, render_template, request

from blog.config import SEARCH_RESULTS
from shared.infrastructure.runtime import request_session
from shared.services.blog.reading import MAX_QUERY
from shared.services.registry import services

bp = Blueprint("search", __name__)


@bp.get("/search/")
async def get_search() -> str:
    """The search form, and the matches of `q` with highlighted snippets."""
    query = " ".join((request.args.get("q") or "").split())[:MAX_QUERY]
    hits = await services.blog.search_posts(
        request_session(current_app), query, limit=SEARCH_RESULTS
    )
    return await render_template("blog/search/index.html", query=query, hits=hits)
