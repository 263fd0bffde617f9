"""The editor's JSON rendered on the server: every card, and nothing hostile survives."""

from __future__ import annotations

from html.parser import HTMLParser

from shared.services.blog.rendering import embedded_cards, render_doc


class Markup(HTMLParser):
    """Every tag and attribute of some HTML, as a browser's parser sees them."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str]] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs += [(name, value or "") for name, value in attrs]


def assert_harmless(html: str) -> None:
    markup = Markup(html)
    assert "script" not in markup.tags
    assert not [name for name, _ in markup.attrs if name.startswith("on")]
    assert not [v for n, v in markup.attrs if n in ("href", "src") and "javascript" in v.lower()]


def text(value: str, *marks: dict[str, object]) -> dict[str, object]:
    return {"type": "text", "text": value, "marks": list(marks)}


def test_script_event_handlers_and_javascript_links_never_survive() -> None:
    doc = {
        "type": "doc",
        "content": [
            {"type": "paragraph", "content": [text("<script>alert(1)</script>")]},
            {
                "type": "paragraph",
                "content": [
                    text("click", {"type": "link", "attrs": {"href": "javascript:alert(1)"}})
                ],
            },
            {"type": "imageCard", "attrs": {"src": "javascript:alert(1)", "alt": "x"}},
            {"type": "imageCard", "attrs": {"src": "/media/a.png", "alt": '" onerror="alert(1)'}},
            {
                "type": "htmlCard",
                "attrs": {
                    "html": '<img src=x onerror=alert(1)><a href="javascript:x">y</a>'
                    "<script>z</script>"
                },
            },
            {"type": "unknownNode", "attrs": {"html": "<script>"}},
        ],
    }
    html = render_doc(doc).html
    assert_harmless(html)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # what was typed stays text
    assert '<img src="/media/a.png" alt="&quot; onerror=&quot;alert(1)" loading="lazy">' in html


def test_every_card_renders_with_its_markup() -> None:
    doc = {
        "type": "doc",
        "content": [
            {"type": "heading", "attrs": {"level": 1}, "content": [text("Top")]},
            {
                "type": "imageCard",
                "attrs": {
                    "src": "/media/p.webp",
                    "alt": "Jars",
                    "caption": "Honey",
                    "width": "wide",
                },
            },
            {"type": "gallery", "attrs": {"images": [{"src": "/media/1.png", "alt": "one"}]}},
            {
                "type": "callout",
                "attrs": {"emoji": "💡"},
                "content": [{"type": "paragraph", "content": [text("Tip")]}],
            },
            {
                "type": "bookmark",
                "attrs": {
                    "url": "https://example.org/x",
                    "title": "Ex",
                    "description": "An example",
                },
            },
            {
                "type": "table",
                "content": [
                    {
                        "type": "tableRow",
                        "content": [
                            {
                                "type": "tableHeader",
                                "content": [{"type": "paragraph", "content": [text("Jar")]}],
                            }
                        ],
                    },
                    {
                        "type": "tableRow",
                        "content": [
                            {
                                "type": "tableCell",
                                "attrs": {"colspan": 2},
                                "content": [{"type": "paragraph", "content": [text("£4")]}],
                            }
                        ],
                    },
                ],
            },
            {"type": "productCard", "attrs": {"id": 7, "title": "Honey"}},
            {"type": "eventCard", "attrs": {"id": 3, "title": "Fair"}},
            {"type": "codeBlock", "attrs": {"language": "python"}, "content": [text("x = 1")]},
        ],
    }
    rendered = render_doc(doc)
    html = rendered.html
    assert "<h2>Top</h2>" in html  # the title is the page's only h1
    assert '<figure class="card card--image card--wide"><img src="/media/p.webp" alt="Jars"' in html
    assert "<figcaption>Honey</figcaption>" in html
    assert (
        '<figure class="card card--gallery"><div class="gallery__images"><img src="/media/1.png"'
        in html
    )
    assert '<div class="callout"><span class="callout__emoji">💡</span><p>Tip</p></div>' in html
    assert '<a href="https://example.org/x" rel="noopener noreferrer nofollow">' in html
    assert '<span class="bookmark__description">An example</span>' in html
    assert "<th><p>Jar</p></th>" in html and '<td colspan="2"><p>£4</p></td>' in html
    assert '<code class="language-python">x = 1</code>' in html
    assert list(embedded_cards(html)) == [("product", 7), ("event", 3)]
    assert "Tip" in rendered.plaintext and "Jar" in rendered.plaintext


def test_paragraphs_words_stay_apart_in_the_plain_text() -> None:
    doc = {
        "type": "doc",
        "content": [
            {"type": "paragraph", "content": [text("one")]},
            {"type": "paragraph", "content": [text("two")]},
        ],
    }
    assert render_doc(doc).plaintext == "one two"


def test_a_hostile_depth_is_cut_not_crashed() -> None:
    node: dict[str, object] = {"type": "paragraph", "content": [text("deep")]}
    for _ in range(500):
        node = {"type": "blockquote", "content": [node]}
    assert "deep" not in render_doc({"type": "doc", "content": [node]}).html
