"""Blog, market, social and account reads behind the home pages."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from shared.models.market import ProductImage
from shared.models.newsletters import Newsletter, NewsletterSubscription
from shared.services.blog import SqlBlogService
from shared.services.market import SqlMarketService
from shared.services.newsletters import SqlNewslettersService
from shared.services.social import SqlSocialService
from tests.support.factories import (
    add,
    make_author,
    make_member_actor,
    make_note,
    make_post,
    make_product,
    make_stall,
    make_user,
)


async def test_only_published_public_posts_are_listed_newest_first(db: AsyncSession) -> None:
    author = await make_author(db, "Ada Okafor")
    older = await make_post(db, "Older", author=author)
    newer = await make_post(db, "Newer", author=author)
    await make_post(db, "Draft", status="draft")
    await make_post(db, "Members only", visibility="members")
    await make_post(db, "A page", type="page")

    posts = await SqlBlogService().list_published_posts(db)

    assert [post.title for post in posts] == [newer.title, older.title]
    assert posts[0].author_name == "Ada Okafor"


async def test_products_show_price_stall_image_and_stock(db: AsyncSession) -> None:
    stall = await make_stall(db, "Marsh Honey")
    honey = await make_product(db, stall, "Honey", 850, stock=0)
    await add(db, ProductImage(product_id=honey.id, url="https://img.test/h.jpg", alt="A jar"))
    await make_product(db, stall, "Candles", 1200)
    await make_product(db, stall, "Hidden", 100, status="draft")
    db.expire_all()

    products = await SqlMarketService().list_listed_products(db)

    by_title = {product.title: product for product in products}
    assert set(by_title) == {"Honey", "Candles"}
    assert by_title["Honey"].price.amount_minor == 850
    assert by_title["Honey"].image_url == "https://img.test/h.jpg"
    assert not by_title["Honey"].in_stock
    assert by_title["Candles"].in_stock and by_title["Candles"].image_url is None
    assert by_title["Candles"].stall_name == "Marsh Honey"


async def test_stalls_count_only_listed_products(db: AsyncSession) -> None:
    busy = await make_stall(db, "Busy")
    quiet = await make_stall(db, "Quiet")
    await make_product(db, busy, "One", 100)
    await make_product(db, busy, "Two", 100)
    await make_product(db, quiet, "Archived", 100, status="archived")

    stalls = await SqlMarketService().list_stalls(db)

    assert [(s.name, s.product_count) for s in stalls] == [("Busy", 2), ("Quiet", 0)]


async def test_local_timeline_sanitizes_and_skips_remote_and_deleted_notes(
    db: AsyncSession,
) -> None:
    user = await make_user(db, "cleo", display_name="Cleo Marsh")
    actor = await make_member_actor(db, user)
    await make_note(db, actor, '<p>Hello <script>alert(1)</script><a href="javascript:x">x</a></p>')
    await make_note(db, actor, "<p>From afar</p>", is_local=False)

    [note] = await SqlSocialService().list_local_timeline(db)

    assert "<script>" not in note.content_html
    assert "javascript:" not in note.content_html
    assert note.content_html.startswith("<p>Hello")
    assert note.author_handle == "@cleo@federation.localhost:8005"
    assert note.author_name == "Cleo Marsh"


async def test_newsletters_count_confirmed_subscribers_only(db: AsyncSession) -> None:
    weekly = Newsletter(slug="weekly", name="Weekly")
    await add(db, weekly, Newsletter(slug="old", name="Old", is_active=False))
    for index, status in enumerate(["confirmed", "confirmed", "pending", "unsubscribed"]):
        await add(
            db,
            NewsletterSubscription(
                newsletter_id=weekly.id,
                email=f"reader{index}@example.test",
                status=status,
                unsubscribe_token=f"token-{index}",
            ),
        )

    newsletters = await SqlNewslettersService().list_newsletters(db)

    assert [(n.name, n.subscriber_count) for n in newsletters] == [("Weekly", 2)]
