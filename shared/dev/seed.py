"""Demo data for `make dev`: members, posts, stalls and products, calendars and events.

    python -m shared.dev.seed

Loads only into an empty database (no members yet), so a second run of
`make dev` keeps whatever was changed in the meantime. Every demo member's
password is DEMO_PASSWORD.
"""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from argon2 import PasswordHasher
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts.events import MemberCreated, record
from shared.dev.demo_blog import seed_blog, seed_blog_showcase
from shared.dev.demo_cart import seed_cart
from shared.dev.demo_events import seed_events
from shared.dev.demo_market import seed_market
from shared.dev.demo_newsletters import seed_newsletters
from shared.dev.demo_social import seed_social
from shared.infrastructure.bootstrap import bootstrap
from shared.infrastructure.config import ConfigError, MediaSettings, Settings, load_settings
from shared.infrastructure.media import make_media_storage, store_image
from shared.infrastructure.uow import UnitOfWork
from shared.models.blog import Post
from shared.models.identity import User
from shared.models.market import Product, ProductImage, Stall
from shared.services.social import SqlSocialService
from shared.services.social.actors import make_missing_actors

DEMO_PASSWORD = "rose-ash-demo"

MEMBERS = [
    ("ada", "Ada Okafor", "ada@rose-ash.test", True),
    ("ben", "Ben Hartley", "ben@rose-ash.test", False),
    ("cleo", "Cleo Marsh", "cleo@rose-ash.test", False),
]

POSTS = [
    (
        "welcome-to-rose-ash",
        "Welcome to Rose Ash",
        "Why a cooperative of makers, writers and neighbours is building its own corner "
        "of the web, and what you can do here.",
        ["Cooperative"],
    ),
    (
        "the-winter-market-returns",
        "The winter market returns",
        "Twelve stalls, hot cider and a lantern walk: everything you need to know about "
        "this year's winter market.",
        ["Market", "Events"],
    ),
    (
        "notes-from-the-allotment",
        "Notes from the allotment",
        "Frost on the leeks, garlic in the ground and a shed that finally keeps the rain out.",
        ["Growing"],
    ),
    (
        "how-we-share-the-surplus",
        "How we share the surplus",
        "Where the money from the cooperative's stalls goes, in plain numbers.",
        ["Cooperative"],
    ),
    (
        "a-beginners-guide-to-sourdough",
        "A beginner's guide to sourdough",
        "Flour, water, salt and patience. Our baker walks through her weekly loaf.",
        ["Food", "Workshops"],
    ),
]

# Photos shipped in the repository (sources and licences: demo_media/CREDITS.md).
DEMO_MEDIA = Path(__file__).resolve().parent / "demo_media"
PRODUCT_PHOTOS = {
    "breakfast-bowl": ("cup-and-saucer.jpg", "A glazed cup on its saucer, on a wooden table"),
    "stoneware-mug": ("espresso-cup.jpg", "A brown stoneware cup of coffee"),
    "serving-platter": ("weathered-wood.jpg", "Pale, weathered wood grain"),
    "wildflower-honey-340g": ("dahlia.jpg", "An orange dahlia in bloom"),
    "beeswax-candle-pair": ("yellow-flower.jpg", "Yellow petals, close up"),
    "country-sourdough": ("young-grass.jpg", "A field of young green shoots"),
    "seeded-rye": ("seed-heads.jpg", "Two seed heads against orange flowers"),
    "cinnamon-buns-four": ("marigold.jpg", "A red and gold marigold"),
}
POST_PHOTOS = {
    "welcome-to-rose-ash": "dune-grass.jpg",
    "the-winter-market-returns": "chelsea-the-cat.jpg",
    "notes-from-the-allotment": "ladybird.jpg",
    "how-we-share-the-surplus": "raindrops-on-leaves.jpg",
    "a-beginners-guide-to-sourdough": "orange-flower.jpg",
}


STALL_PHOTOS = {
    "hartley-ceramics": ("cup-and-saucer.jpg", "A glazed cup on its saucer, from the studio"),
    "marsh-honey": ("dahlia.jpg", "A dahlia by the hives"),
    "okafor-bakery": ("young-grass.jpg", "Young wheat in the field"),
}


def _at(days: int, hour: int, minute: int = 0) -> datetime:
    base = datetime.now(UTC).replace(hour=hour, minute=minute, second=0, microsecond=0)
    return base + timedelta(days=days)


async def _seed_members(session: AsyncSession) -> dict[str, User]:
    hasher = PasswordHasher()
    password_hash = hasher.hash(DEMO_PASSWORD)
    users = {}
    for username, name, email, is_admin in MEMBERS:
        user = User(
            username=username,
            display_name=name,
            email=email,
            password_hash=password_hash,
            email_verified_at=datetime.now(UTC),
            is_admin=is_admin,
        )
        session.add(user)
        users[username] = user
    await session.flush()
    # As at sign-up: the social domain's handler makes each member's actor and keys.
    record(session, *(MemberCreated(user.id) for user in users.values()))
    return users


async def _seed_images(session: AsyncSession, media: MediaSettings) -> None:
    """Stall and product photos and post feature images, stored through `store_image` the
    way an upload is (checked, cleaned, resized, content-addressed)."""
    storage = make_media_storage(media)

    async def stored(filename: str) -> str:
        data = await asyncio.to_thread((DEMO_MEDIA / filename).read_bytes)
        return (await store_image(storage, data, media)).src

    products = {p.slug: p for p in await session.scalars(select(Product))}
    for stall in await session.scalars(select(Stall).where(Stall.slug.in_(STALL_PHOTOS))):
        filename, stall.image_alt = STALL_PHOTOS[stall.slug]
        stall.image_url = await stored(filename)
    for slug, (filename, alt) in PRODUCT_PHOTOS.items():
        if slug in products:
            image = ProductImage(product_id=products[slug].id, url=await stored(filename), alt=alt)
            session.add(image)
    posts = await session.scalars(select(Post).where(Post.slug.in_(POST_PHOTOS)))
    for post in posts:
        post.feature_image = await stored(POST_PHOTOS[post.slug])


async def seed(uow: UnitOfWork, settings: Settings, media: MediaSettings | None = None) -> bool:
    """Load the demo data into an empty database; False when it already holds members.

    With `media`, the demo photos are stored there and shown on products and posts.
    The members' posts and follows need the actors their MemberCreated handlers make,
    so the rest is committed first and the social demo (demo_social.py) commits with
    the caller's unit.
    """
    session = uow.session
    if await session.scalar(select(func.count(User.id))):
        return False
    await SqlSocialService(settings).ensure_app_actors(session)
    users = await _seed_members(session)
    await seed_blog(session, users)
    await seed_market(session, users, _at)
    await seed_events(session, users)
    await seed_newsletters(session, users)
    await seed_cart(session, users)
    if media is not None:
        await _seed_images(session, media)
    await seed_blog_showcase(session)  # its cards embed products, an event and photos
    await uow.commit()
    await seed_social(session)
    return True


async def _main() -> int:
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(f"seed: configuration error: {exc}", file=sys.stderr)
        return 2
    async with bootstrap(settings, name="seed") as platform, platform.unit_of_work() as uow:
        loaded = await seed(uow, settings, settings.media)
        # A dev database from before actors were made with members (or with other
        # ports) gets its actors here, at seed time, never from a GET.
        fixed = await make_missing_actors(uow.session, settings)
    if loaded:
        names = ", ".join(username for username, *_ in MEMBERS)
        print(f"seed: loaded demo data; members {names} sign in with {DEMO_PASSWORD!r}")
    else:
        print("seed: the database already has members; demo data left as it is")
    if fixed:
        print(f"seed: made or moved the actors of {fixed} members")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("ROSE_ASH_ENV", "dev")
    raise SystemExit(asyncio.run(_main()))
