"""Ghost-shaped objects for the stand-in: ids, timestamps, demo content, images.

Objects are stored as Ghost's Admin API shows them, with relations kept as id lists
(`_tags`, `_authors`) that `serialize` expands, so an edited tag shows on every post.
"""

from __future__ import annotations

import functools
import hashlib
import io
import random
import re
import secrets
import uuid
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from PIL import Image

if TYPE_CHECKING:
    from shared.dev.ghost.server import GhostStandIn

Item = dict[str, Any]

_WORDS = (
    "co-op", "garden", "harvest", "bakery", "market", "members", "kitchen", "workshop",
    "bicycle", "repair", "seed", "library", "solar", "roof", "orchard", "honey", "weaving",
    "pottery", "choir", "festival", "river", "compost", "housing", "credit", "union",
    "school", "forest", "printing", "press", "bread", "cheese",
)  # fmt: skip
_TOPICS = (
    "Notes from",
    "A guide to",
    "Why we started",
    "The story of",
    "What we learned from",
    "Planning",
    "Celebrating",
    "Inside",
    "Ten years of",
    "Meet the people behind",
)
PUBLIC_TAGS = ("News", "Food", "Events", "Housing", "Energy", "Members", "Crafts", "Finance")
INTERNAL_TAGS = ("#featured-home", "#newsletter")
AUTHORS = (("Ada Okafor", "ada@example.coop"), ("Ben Lindqvist", "ben@example.coop"))


def iso(moment: datetime) -> str:
    """Ghost's timestamp format: UTC, milliseconds always `.000`, `Z`."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def parse_iso(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def now_s() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def object_id(moment: datetime, rng: random.Random | None = None) -> str:
    """A 24-hex MongoDB-style ObjectId, as Ghost uses."""
    tail = f"{rng.getrandbits(64):016x}" if rng else secrets.token_hex(8)
    return f"{int(moment.timestamp()):08x}{tail}"


def slugify(text: str) -> str:
    if text.startswith("#"):  # Ghost's slug for an internal tag
        text = "hash-" + text[1:]
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "untitled"


def plaintext(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def make_user(base: str, name: str, email: str, moment: datetime, rng: random.Random) -> Item:
    slug = slugify(name)
    return {
        "id": object_id(moment, rng),
        "name": name,
        "slug": slug,
        "email": email,
        "profile_image": f"{base}/content/images/authors/{slug}.png",
        "cover_image": None,
        "bio": f"{name.split()[0]} writes for the co-op.",
        "website": None,
        "location": "Leeds",
        "status": "active",
        "created_at": iso(moment),
        "updated_at": iso(moment),
        "url": f"{base}/author/{slug}/",
    }


def make_tag(base: str, name: str, moment: datetime, rng: random.Random | None = None) -> Item:
    slug = slugify(name)
    return {
        "id": object_id(moment, rng),
        "name": name,
        "slug": slug,
        "description": None if name.startswith("#") else f"Posts about {name.lower()}.",
        "feature_image": None,
        "visibility": "internal" if name.startswith("#") else "public",
        "meta_title": None,
        "meta_description": None,
        "created_at": iso(moment),
        "updated_at": iso(moment),
        "url": f"{base}/tag/{slug}/" if not name.startswith("#") else f"{base}/404/",
    }


def make_post(
    base: str,
    *,
    title: str,
    html: str,
    slug: str,
    status: str,
    moment: datetime,
    tag_ids: list[str],
    author_ids: list[str],
    kind: str = "post",
    feature_image: str | None = None,
    visibility: str = "public",
    custom_excerpt: str | None = None,
    featured: bool = False,
    rng: random.Random | None = None,
) -> Item:
    text = plaintext(html)
    return {
        "id": object_id(moment, rng),
        "uuid": str(uuid.UUID(int=rng.getrandbits(128), version=4) if rng else uuid.uuid4()),
        "title": title,
        "slug": slug,
        "html": html,
        "comment_id": None,
        "feature_image": feature_image,
        "feature_image_alt": f"Picture for {title}" if feature_image else None,
        "feature_image_caption": None,
        "featured": featured,
        "status": status,
        "visibility": visibility,
        "type": kind,
        "created_at": iso(moment - timedelta(hours=1)),
        "updated_at": iso(moment),
        "published_at": iso(moment) if status == "published" else None,
        "custom_excerpt": custom_excerpt,
        "excerpt": custom_excerpt or text[:500],
        "codeinjection_head": None,
        "codeinjection_foot": None,
        "custom_template": None,
        "canonical_url": None,
        "url": f"{base}/{slug}/" if status == "published" else f"{base}/p/{slug}/",
        "reading_time": max(1, len(text.split()) // 275),
        "meta_title": None,
        "meta_description": None,
        "og_image": None,
        "og_title": None,
        "og_description": None,
        "twitter_image": None,
        "twitter_title": None,
        "twitter_description": None,
        "_tags": list(tag_ids),
        "_authors": list(author_ids),
    }


def demo_html(base: str, title: str, n: int, rng: random.Random, images: bool) -> str:
    sentences = [
        " ".join(rng.choice(_WORDS) for _ in range(rng.randint(8, 16))).capitalize() + "."
        for _ in range(6)
    ]
    parts = [f"<p>{' '.join(sentences[:3])}</p>"]
    if images:
        parts.append(
            '<figure class="kg-card kg-image-card">'
            f'<img src="{base}/content/images/2026/01/inline-{n}.jpg" class="kg-image" '
            f'alt="{title}" loading="lazy" width="64" height="40"></figure>'
        )
    parts.append(f"<h2>{rng.choice(_WORDS).capitalize()}</h2><p>{' '.join(sentences[3:])}</p>")
    return "".join(parts)


def demo_title(n: int, rng: random.Random) -> str:
    return f"{rng.choice(_TOPICS)} the {rng.choice(_WORDS)} {rng.choice(_WORDS)} ({n})"


# Encoding with Pillow on every request would dominate an import of thousands of images.
@functools.lru_cache(maxsize=4096)
def image_bytes(path: str) -> tuple[bytes, str]:
    """A real, tiny image whose colour comes from its path (PNG, or JPEG for .jpg)."""
    digest = hashlib.sha256(path.encode()).digest()
    image = Image.new("RGB", (64, 40), (digest[0], digest[1], digest[2]))
    out = io.BytesIO()
    if path.lower().endswith((".jpg", ".jpeg")):
        image.save(out, "JPEG", quality=80)
        return out.getvalue(), "image/jpeg"
    image.save(out, "PNG")
    return out.getvalue(), "image/png"


def changed(before: Item, after: Item) -> Item:
    """Ghost's webhook `previous`: only the keys whose value changed, with old values."""
    return {k: v for k, v in before.items() if after.get(k) != v}


def seed_demo(
    ghost: GhostStandIn, posts: int, pages: int, drafts: int, images: bool, rng: random.Random
) -> None:
    """Demo content: 2 authors, public and internal tags, posts then pages then drafts."""
    start = now_s() - timedelta(hours=posts + pages + drafts + 48)
    for name, email in AUTHORS:
        user = make_user(ghost.url, name, email, start, rng)
        ghost.users[user["id"]] = user
    for name in PUBLIC_TAGS + INTERNAL_TAGS:
        tag = make_tag(ghost.url, name, start, rng)
        ghost.tags[tag["id"]] = tag
    public = [t for t in ghost.tags.values() if t["visibility"] == "public"]
    internal = [t for t in ghost.tags.values() if t["visibility"] == "internal"]
    authors = list(ghost.users)
    slugs = {i["slug"] for i in ghost.items.values()}
    for n in range(posts + pages + drafts):
        kind = "page" if posts <= n < posts + pages else "post"
        moment = start + timedelta(hours=n + 1)
        title = f"About the co-op ({n})" if kind == "page" else demo_title(n, rng)
        tag_ids = [t["id"] for t in rng.sample(public, 2)]
        if kind == "post" and n % 5 == 0:
            tag_ids.append(internal[n % len(internal)]["id"])
        item = make_post(
            ghost.url,
            title=title,
            html=demo_html(ghost.url, title, n, rng, images),
            slug=unique_slug(slugify(title), slugs),
            status="draft" if n >= posts + pages else "published",
            moment=moment,
            tag_ids=tag_ids if kind == "post" else [],
            author_ids=[authors[n % 2]] + ([authors[(n + 1) % 2]] if n % 7 == 0 else []),
            kind=kind,
            feature_image=f"{ghost.url}/content/images/2026/01/feature-{n}.png" if images else None,
            custom_excerpt=f"A short note on {title.lower()}." if n % 3 == 0 else None,
            featured=n % 11 == 0,
            rng=rng,
        )
        ghost.items[item["id"]] = item
        slugs.add(item["slug"])


def unique_slug(slug: str, taken: set[str]) -> str:
    candidate, n = slug, 1
    while candidate in taken:
        n += 1
        candidate = f"{slug}-{n}"
    return candidate
