"""RSS 2.0 and Atom feeds of the site, of each tag and of each author (feedgen), and
`sitemap.xml`. Feeds carry public posts only, with their full bodies."""

from __future__ import annotations

from collections.abc import Sequence
from xml.etree import ElementTree

from feedgen.feed import FeedGenerator
from quart import Blueprint, Response, abort, current_app

from blog.config import FEED_POSTS
from shared.contracts.blog import ReadingPost
from shared.infrastructure.runtime import request_session, runtime
from shared.services.registry import services

bp = Blueprint("feeds", __name__)

CONTENT_TYPES = {"rss": "application/rss+xml", "atom": "application/atom+xml"}


def _blog_url() -> str:
    return runtime(current_app).settings.app("blog").base_url


def _feed(kind: str, title: str, path: str, posts: Sequence[ReadingPost]) -> Response:
    base = _blog_url()
    feed = FeedGenerator()
    feed.id(f"{base}{path}")
    feed.title(title)
    feed.description(f"The newest posts: {title}")
    feed.link(href=f"{base}{path}", rel="alternate")
    feed.link(href=f"{base}{path}{kind}/", rel="self")
    feed.language("en")
    if posts:
        feed.updated(max(post.updated_at for post in posts))
    for post in posts:
        url = f"{base}/{post.slug}/"
        entry = feed.add_entry(order="append")
        entry.id(url)
        entry.guid(url, permalink=True)
        entry.title(post.title)
        entry.link(href=url)
        entry.published(post.published_at)
        entry.updated(post.updated_at)
        if post.excerpt:
            entry.summary(post.excerpt)
        entry.content(post.html, type="CDATA" if kind == "rss" else "html")
        for author in post.authors:
            entry.author({"name": author.name, "uri": f"{base}/author/{author.slug}/"})
        for slug, name in post.tags:
            entry.category(term=slug, label=name)
    body = feed.rss_str(pretty=False) if kind == "rss" else feed.atom_str(pretty=False)
    return Response(body, content_type=f"{CONTENT_TYPES[kind]}; charset=utf-8")


@bp.get("/<any(rss, atom):kind>/")
async def get_site_feed(kind: str) -> Response:
    """The site's newest posts."""
    posts = await services.blog.list_feed_posts(request_session(current_app), limit=FEED_POSTS)
    return _feed(kind, runtime(current_app).settings.site.name, "/", posts)


@bp.get("/tag/<slug>/<any(rss, atom):kind>/")
async def get_tag_feed(slug: str, kind: str) -> Response:
    session = request_session(current_app)
    tag = await services.blog.get_tag(session, slug)
    if tag is None:
        abort(404)
    posts = await services.blog.list_feed_posts(session, tag_slug=tag.slug, limit=FEED_POSTS)
    return _feed(kind, tag.name, f"/tag/{tag.slug}/", posts)


@bp.get("/author/<slug>/<any(rss, atom):kind>/")
async def get_author_feed(slug: str, kind: str) -> Response:
    session = request_session(current_app)
    author = await services.blog.get_author(session, slug)
    if author is None:
        abort(404)
    posts = await services.blog.list_feed_posts(session, author_slug=author.slug, limit=FEED_POSTS)
    return _feed(kind, author.name, f"/author/{author.slug}/", posts)


@bp.get("/sitemap.xml")
async def get_sitemap() -> Response:
    """Every public page of the blog with its last change, for search engines."""
    base = _blog_url()
    entries = await services.blog.list_sitemap_entries(request_session(current_app))
    urlset = ElementTree.Element("urlset", xmlns="http://www.sitemaps.org/schemas/sitemap/0.9")
    for path, modified in [("/", None), *entries]:
        url = ElementTree.SubElement(urlset, "url")
        ElementTree.SubElement(url, "loc").text = f"{base}{path}"
        if modified is not None:
            ElementTree.SubElement(url, "lastmod").text = modified.date().isoformat()
    body = ElementTree.tostring(urlset, encoding="utf-8", xml_declaration=True)
    return Response(body, content_type="application/xml; charset=utf-8")
