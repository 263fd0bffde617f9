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


# Posts are written by staff in the blog's editor: prose plus its cards and tables.
# Classes are allowed by value only (nh3's allowed_classes), so a post can carry the
# cards' layout classes but no class of the site's own chrome.
_POST_TAGS = _ALLOWED_TAGS | {
    "div", "figure", "table", "thead", "tbody", "tr", "th", "td", "caption", "mark",
}  # fmt: skip
# `class` is never a plain attribute here: nh3 takes it from `_POST_CLASSES` instead.
_POST_ATTRIBUTES = {
    **{tag: names - {"class"} for tag, names in _ALLOWED_ATTRIBUTES.items()},
    "img": {"src", "alt", "title", "width", "height", "loading"},
    "th": {"colspan", "rowspan"},
    "td": {"colspan", "rowspan"},
    "ol": {"start"},
    # Product and event cards: which one; the page swaps in the live fragment.
    "div": {"data-product", "data-event"},
}
_POST_CLASSES = {
    "div": {"callout", "card", "card--product", "card--event", "card--html", "gallery__images"},
    "figure": {
        "card",
        "card--image",
        "card--regular",
        "card--wide",
        "card--full",
        "card--gallery",
        "card--bookmark",
    },
    "span": {"bookmark__title", "bookmark__description", "bookmark__url", "callout__emoji"},
    "code": {
        f"language-{name}"
        for name in (
            "python",
            "javascript",
            "typescript",
            "html",
            "css",
            "bash",
            "sql",
            "json",
            "yaml",
            "text",
            "go",
            "rust",
        )
    },
    "p": {"card__fallback"},
}


def sanitize_post_html(html: str) -> str:
    """`sanitize_html` with what the blog editor's cards need: tables, figures with
    their layout classes, callouts, and the product/event card placeholders."""
    return nh3.clean(
        html,
        tags=_POST_TAGS,
        attributes=_POST_ATTRIBUTES,
        allowed_classes=_POST_CLASSES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )
