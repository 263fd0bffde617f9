"""A post (or page) on its own: `/<slug>/`, with the events of its calendar beside it.

Product and event cards in the body are placeholders the page swaps for the
market's and events' own fragments, so a price, a stock level or a date is
always today's (the fragment cache keeps it cheap). A members-only post shows
its excerpt and a sign-in invitation to visitors, never its body.
"""

from __future__ import annotations

import re

from quart import Blueprint, abort, current_app, render_template

from blog.config import POST_PAGE_EVENTS
from shared.contracts.blog import ReadingPost
from shared.contracts.widgets import FragmentRequest
from shared.infrastructure.fragments import page_fragments
from shared.infrastructure.runtime import request_session
from shared.infrastructure.viewer import current_viewer
from shared.services.blog.rendering import embedded_cards
from shared.services.registry import services

bp = Blueprint("posts", __name__)

_CARD_RE = re.compile(
    r'<div class="card card--(product|event)" data-\1="(\d+)">.*?</div>', re.DOTALL
)


def _card_request(kind: str, ident: int) -> FragmentRequest:
    return FragmentRequest.of(f"{kind}-card", name=f"{kind}-card-{ident}", id=ident)


async def _with_cards(html: str) -> str:
    cards = list(dict.fromkeys(embedded_cards(html)))
    if not cards:
        return html
    fragments = page_fragments(*(_card_request(kind, ident) for kind, ident in cards))
    live = {
        (kind, ident): str(await fragments.get(f"{kind}-card-{ident}")) for kind, ident in cards
    }

    def swap(found: re.Match[str]) -> str:
        # The fragment, or the placeholder's own title when the provider has nothing.
        return live.get((found.group(1), int(found.group(2)))) or found.group(0)

    return _CARD_RE.sub(swap, html)


async def render_post(post: ReadingPost, *, preview: bool = False, status: str = "") -> str:
    """The post's page; the staff preview renders through here too."""
    if not preview:
        page_fragments(
            FragmentRequest.of(
                "upcoming-events",
                limit=POST_PAGE_EVENTS,
                container_type="post",
                container_id=post.id,
            )
        )
    body = await _with_cards(post.html)
    return await render_template(
        "blog/posts/show.html", post=post, body=body, preview=preview, post_status=status
    )


@bp.get("/<slug>/")
async def get_post(slug: str) -> str:
    """A published post or page; 404 for drafts, scheduled posts and anything unknown."""
    post = await services.blog.get_reading_post(
        request_session(current_app), slug, member=current_viewer() is not None
    )
    if post is None:
        abort(404)
    return await render_post(post)
