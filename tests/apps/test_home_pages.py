"""Each app's home page: real rows through the registry, or a clear empty state."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from shared.models.blog import Tag
from shared.models.cart import Cart, CartLine
from shared.models.newsletters import Newsletter
from tests.conftest import ClientFactory
from tests.support.factories import (
    add,
    make_author,
    make_calendar,
    make_event,
    make_member_actor,
    make_note,
    make_post,
    make_product,
    make_stall,
    make_user,
    now,
)


async def page(client_for: ClientFactory, app: str, **kwargs: object) -> str:
    client = await client_for(app)
    response = await client.get("/", **kwargs)
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    return await response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("app", "empty_state"),
    [
        ("blog", "No posts yet"),
        ("market", "No products yet"),
        ("cart", "Your cart is empty"),
        ("events", "No upcoming events"),
        ("federation", "Nothing posted yet"),
    ],
)
async def test_an_empty_home_page_says_so(
    client_for: ClientFactory, app: str, empty_state: str
) -> None:
    html = await page(client_for, app)
    assert empty_state in html
    # Every app wears the same shell: the shared stylesheet and the app switcher.
    assert "dist/app.css" in html
    for label in ("Blog", "Market", "Events", "Social", "Account", "Cart"):
        assert f">{label}<" in html or f"> {label} <" in html or label in html


async def test_blog_home_lists_published_posts(db: AsyncSession, client_for: ClientFactory) -> None:
    author = await make_author(db, "Ada Okafor")
    await make_post(db, "The winter market returns", author=author, excerpt="Hot cider.")
    await make_post(db, "Secret plans", status="draft")

    html = await page(client_for, "blog")

    assert "The winter market returns" in html and "Hot cider." in html
    assert "Ada Okafor" in html
    assert "Secret plans" not in html
    assert "No posts yet" not in html


async def test_market_home_lists_products_and_stalls(
    db: AsyncSession, client_for: ClientFactory
) -> None:
    stall = await make_stall(db, "Hartley Ceramics")
    await make_product(db, stall, "Stoneware mug", 1800)
    await make_product(db, stall, "Serving platter", 5500, stock=0)

    html = await page(client_for, "market")

    assert "Stoneware mug" in html and "£18.00" in html
    assert "Serving platter" in html and "Sold out" in html
    assert "Hartley Ceramics" in html
    assert "No products yet" not in html


async def test_cart_home_shows_the_visitors_cart(
    db: AsyncSession, client_for: ClientFactory
) -> None:
    stall = await make_stall(db, "Marsh Honey")
    honey = await make_product(db, stall, "Wildflower honey", 850)
    cart = Cart(anon_token="visitor-token")
    await add(db, cart)
    await add(
        db,
        CartLine(cart_id=cart.id, product_id=honey.id, variant_id=honey.variants[0].id, quantity=2),
    )

    client = await client_for("cart")
    client.set_cookie("cart.localhost", "ra_cart", "visitor-token")
    response = await client.get("/")
    html = await response.get_data(as_text=True)

    assert "Wildflower honey" in html
    assert "£17.00" in html
    assert "Your cart is empty" not in html


async def test_events_home_lists_upcoming_events(
    db: AsyncSession, client_for: ClientFactory
) -> None:
    calendar = await make_calendar(db, "Community calendar")
    await make_event(
        db, calendar, "Repair café", now() + timedelta(days=3), location="The Old Library"
    )
    await make_event(db, calendar, "Last year's supper", now() - timedelta(days=30))

    html = await page(client_for, "events")

    assert "Repair café" in html and "The Old Library" in html
    assert "Last year&#39;s supper" not in html and "Last year's supper" not in html


async def test_federation_home_shows_the_local_timeline_safely(
    db: AsyncSession, client_for: ClientFactory
) -> None:
    user = await make_user(db, "cleo", display_name="Cleo Marsh")
    actor = await make_member_actor(db, user)
    await make_note(db, actor, "<p>Bees are asleep.<script>alert('x')</script></p>")

    html = await page(client_for, "federation")

    assert "Bees are asleep." in html and "Cleo Marsh" in html
    assert "alert('x')" not in html
    assert "Nothing posted yet" not in html


async def test_account_home_is_the_dashboard_shell(
    db: AsyncSession, client_for: ClientFactory
) -> None:
    await add(db, Newsletter(slug="weekly", name="The Weekly Ash", description="Fridays."))

    html = await page(client_for, "account")

    assert "The Weekly Ash" in html and "Fridays." in html
    assert "Sign in to see your tickets" in html


async def test_a_tag_page_lists_only_that_tags_posts(
    db: AsyncSession, client_for: ClientFactory
) -> None:
    growing = Tag(slug="growing", name="Growing", description="From the allotment.")
    other = Tag(slug="food", name="Food")
    await add(db, growing, other)
    await make_post(db, "Frost on the leeks", tags=[growing])
    await make_post(db, "Sourdough", tags=[other])
    await make_post(db, "Garlic plans", tags=[growing], status="draft")
    client = await client_for("blog")

    response = await client.get("/tag/growing/")

    html = await response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Growing" in html and "From the allotment." in html
    assert "Frost on the leeks" in html
    assert "Sourdough" not in html and "Garlic plans" not in html
    assert (await client.get("/tag/no-such-tag/")).status_code == 404


async def test_a_tag_without_posts_says_so(db: AsyncSession, client_for: ClientFactory) -> None:
    await add(db, Tag(slug="quiet", name="Quiet"))
    client = await client_for("blog")
    html = await (await client.get("/tag/quiet/")).get_data(as_text=True)
    assert "No posts with this tag yet" in html


@pytest.mark.parametrize("app", ["blog", "market", "events"])
async def test_the_sign_in_link_comes_back_to_the_page_it_was_on(
    client_for: ClientFactory, app: str
) -> None:
    client = await client_for(app)
    response = await client.get("/?page=2")
    html = await response.get_data(as_text=True)
    # Signing in, or signing up from the sign-in page, ends back here.
    assert 'href="/auth/login?next=%2F%3Fpage%3D2"' in html
    assert 'href="/auth/login"' not in html
