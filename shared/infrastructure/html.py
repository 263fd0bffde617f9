"""Sanitizing HTML from members, editors and remote servers before it is shown."""

from __future__ import annotations

import nh3

_ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "del", "em", "figcaption", "figure",
    "h2", "h3", "h4", "hr", "i", "img", "li", "ol", "p", "pre", "s", "span", "strong",
    "sub", "sup", "u", "ul",
}  # fmt: skip
_ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "span": {"class"},
    "code": {"class"},
}


def sanitize_html(html: str) -> str:
    """Keep prose markup; drop scripts, styles, event handlers and unsafe URLs.

    Links get rel="noopener noreferrer nofollow" so remote content can neither
    control our window nor borrow our reputation.
    """
    return nh3.clean(
        html,
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )
