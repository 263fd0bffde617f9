"""The editor's document (ProseMirror JSON) rendered to HTML on the server.

The browser's HTML is never trusted: the server walks the JSON, writes only the
markup each known node and mark stands for (every text and attribute escaped,
unknown nodes dropped), and sanitizes the result with nh3 as well. The HTML
card is the one place where an author's markup goes in, through nh3 too.
"""

from __future__ import annotations

import html as html_lib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from shared.infrastructure.html import sanitize_post_html
from shared.services.federating import plain_text

Node = dict[str, Any]
IMAGE_WIDTHS = ("regular", "wide", "full")
CODE_LANGUAGES = frozenset(
    {"python", "javascript", "typescript", "html", "css", "bash", "sql", "json", "yaml", "text"}
    | {"go", "rust"}
)
MAX_DEPTH = 40  # deeper than any real document; a hostile one stops here


@dataclass(frozen=True, slots=True)
class RenderedDoc:
    html: str
    plaintext: str


def _e(value: object) -> str:
    return html_lib.escape(str(value or ""), quote=True)


def _attrs(node: Node) -> dict[str, Any]:
    attrs = node.get("attrs")
    return attrs if isinstance(attrs, dict) else {}


def _url(value: object) -> str:
    """An http(s), mailto or site-relative URL, or "" for anything else (javascript:...)."""
    url = str(value or "").strip()
    if url.startswith("/") and not url.startswith("//"):
        return url
    scheme = urlsplit(url).scheme.lower()
    return url if scheme in ("http", "https", "mailto") else ""


def _whole(value: object, low: int, high: int, default: int) -> int:
    try:
        number = int(str(value))
    except ValueError:
        return default
    return min(max(number, low), high)


def _marked(text: str, marks: list[Node]) -> str:
    out = _e(text)
    for mark in marks if isinstance(marks, list) else []:
        kind = mark.get("type") if isinstance(mark, dict) else None
        tag = {"bold": "strong", "italic": "em", "strike": "s", "code": "code", "underline": "u"}
        if kind in tag:
            out = f"<{tag[kind]}>{out}</{tag[kind]}>"
        elif kind == "link":
            href = _url(_attrs(mark).get("href"))
            out = f'<a href="{_e(href)}">{out}</a>' if href else out
    return out


class _Renderer:
    def __init__(self) -> None:
        self._nodes: dict[str, Callable[[Node, int], str]] = {
            "doc": lambda n, d: self.children(n, d),
            "paragraph": lambda n, d: f"<p>{self.children(n, d)}</p>",
            "heading": self.heading,
            "bulletList": lambda n, d: f"<ul>{self.children(n, d)}</ul>",
            "orderedList": self.ordered_list,
            "listItem": lambda n, d: f"<li>{self.children(n, d)}</li>",
            "blockquote": lambda n, d: f"<blockquote>{self.children(n, d)}</blockquote>",
            "codeBlock": self.code_block,
            "horizontalRule": lambda n, d: "<hr>",
            "hardBreak": lambda n, d: "<br>",
            "text": lambda n, d: _marked(str(n.get("text", "")), n.get("marks", [])),
            "imageCard": self.image,
            "image": self.image,
            "gallery": self.gallery,
            "callout": self.callout,
            "bookmark": self.bookmark,
            "htmlCard": self.html_card,
            "table": lambda n, d: f"<table><tbody>{self.children(n, d)}</tbody></table>",
            "tableRow": lambda n, d: f"<tr>{self.children(n, d)}</tr>",
            "tableHeader": lambda n, d: self.cell("th", n, d),
            "tableCell": lambda n, d: self.cell("td", n, d),
            "productCard": lambda n, d: self.embed("product", n),
            "eventCard": lambda n, d: self.embed("event", n),
        }

    def node(self, node: object, depth: int) -> str:
        if not isinstance(node, dict) or depth > MAX_DEPTH:
            return ""
        render = self._nodes.get(str(node.get("type")))
        return render(node, depth + 1) if render else ""

    def children(self, node: Node, depth: int) -> str:
        content = node.get("content")
        return "".join(self.node(child, depth) for child in content or [] if content)

    def heading(self, node: Node, depth: int) -> str:
        # h1 is the post's title; the body's headings start at h2.
        level = _whole(_attrs(node).get("level"), 2, 4, 2)
        return f"<h{level}>{self.children(node, depth)}</h{level}>"

    def ordered_list(self, node: Node, depth: int) -> str:
        start = _whole(_attrs(node).get("start"), 1, 100_000, 1)
        opening = "<ol>" if start == 1 else f'<ol start="{start}">'
        return f"{opening}{self.children(node, depth)}</ol>"

    def code_block(self, node: Node, depth: int) -> str:
        language = str(_attrs(node).get("language") or "")
        css = f' class="language-{language}"' if language in CODE_LANGUAGES else ""
        return f"<pre><code{css}>{self.children(node, depth)}</code></pre>"

    def image(self, node: Node, depth: int) -> str:
        attrs = _attrs(node)
        src = _url(attrs.get("src"))
        if not src:
            return ""
        width = attrs.get("width") if attrs.get("width") in IMAGE_WIDTHS else "regular"
        caption = attrs.get("caption") or ""
        figcaption = f"<figcaption>{_e(caption)}</figcaption>" if caption else ""
        img = f'<img src="{_e(src)}" alt="{_e(attrs.get("alt"))}" loading="lazy">'
        return f'<figure class="card card--image card--{width}">{img}{figcaption}</figure>'

    def gallery(self, node: Node, depth: int) -> str:
        attrs = _attrs(node)
        images = attrs.get("images") if isinstance(attrs.get("images"), list) else []
        imgs = "".join(
            f'<img src="{_e(_url(image.get("src")))}" alt="{_e(image.get("alt"))}" loading="lazy">'
            for image in images or []
            if isinstance(image, dict) and _url(image.get("src"))
        )
        if not imgs:
            return ""
        caption = attrs.get("caption") or ""
        figcaption = f"<figcaption>{_e(caption)}</figcaption>" if caption else ""
        return (
            f'<figure class="card card--gallery"><div class="gallery__images">{imgs}</div>'
            f"{figcaption}</figure>"
        )

    def callout(self, node: Node, depth: int) -> str:
        emoji = str(_attrs(node).get("emoji") or "")[:8]
        badge = f'<span class="callout__emoji">{_e(emoji)}</span>' if emoji else ""
        return f'<div class="callout">{badge}{self.children(node, depth)}</div>'

    def bookmark(self, node: Node, depth: int) -> str:
        attrs = _attrs(node)
        url = _url(attrs.get("url"))
        if not url:
            return ""
        title = attrs.get("title") or url
        description = attrs.get("description") or ""
        host = urlsplit(url).netloc
        return (
            f'<figure class="card card--bookmark"><a href="{_e(url)}">'
            f'<span class="bookmark__title">{_e(title)}</span>'
            + (
                f'<span class="bookmark__description">{_e(description)}</span>'
                if description
                else ""
            )
            + f'<span class="bookmark__url">{_e(host)}</span></a></figure>'
        )

    def html_card(self, node: Node, depth: int) -> str:
        inner = sanitize_post_html(str(_attrs(node).get("html") or ""))
        return f'<div class="card card--html">{inner}</div>'

    def cell(self, tag: str, node: Node, depth: int) -> str:
        attrs = _attrs(node)
        spans = "".join(
            f' {name}="{value}"'
            for name in ("colspan", "rowspan")
            if (value := _whole(attrs.get(name), 1, 100, 1)) > 1
        )
        return f"<{tag}{spans}>{self.children(node, depth)}</{tag}>"

    def embed(self, kind: str, node: Node) -> str:
        """A placeholder the reader's page swaps for the live card (price, stock, date);
        its title is what feeds and readers without the fragment see."""
        attrs = _attrs(node)
        ident = _whole(attrs.get("id"), 0, 2**31 - 1, 0)
        if ident == 0:
            return ""
        title = _e(attrs.get("title") or kind.title())
        return (
            f'<div class="card card--{kind}" data-{kind}="{ident}">'
            f'<p class="card__fallback">{title}</p></div>'
        )


def render_doc(doc: object) -> RenderedDoc:
    """The document's sanitized HTML and its plain text (for search and summaries)."""
    html = sanitize_post_html(_Renderer().node(doc, 0)) if isinstance(doc, dict) else ""
    # A space before every tag, so the words of two paragraphs never run together.
    return RenderedDoc(html=html, plaintext=plain_text(html.replace("<", " <"), limit=1_000_000))


def embedded_cards(html: str) -> Iterator[tuple[str, int]]:
    """The (kind, id) of each product or event card in rendered post HTML, in order."""
    for found in re.finditer(r'<div class="card card--(product|event)" data-\1="(\d+)">', html):
        yield found.group(1), int(found.group(2))
