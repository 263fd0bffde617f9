"""Each app's fragments as the other apps receive them: nav, mini-cart, user menu, events."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts.widgets import FragmentViewer
from shared.infrastructure.internal import InternalAuth
from shared.models.blog import NavigationItem
from shared.models.cart import Cart, CartLine
from tests.conftest import TEST_SECRET_KEY, ClientFactory
from tests.support.factories import (
    add,
    make_calendar,
    make_event,
    make_product,
    make_stall,
    make_user,
    now,
)

AUTH = InternalAuth.from_secret(TEST_SECRET_KEY)
BLOG = "http://blog.localhost:8001"


async def fragment(
    client_for: ClientFactory,
    app: str,
    path: str,
    viewer: FragmentViewer | None = None,
    status: int = 200,
) -> str:
    client = await client_for(app)
    response = await client.get(path, headers=AUTH.headers(viewer))
    assert response.status_code == status
    return await response.get_data(as_text=True)


async def test_nav_is_the_admin_managed_menu_then_the_other_apps(
    db: AsyncSession, client_for: ClientFactory
) -> None:
    await add(
        db,
        NavigationItem(label="About", url="/about/", position=1),
        NavigationItem(label="Home", url="/", position=0),
        NavigationItem(label="Makers' guild", url="https://guild.example/", position=2),
        NavigationItem(label="Legal", url="/legal/", menu="secondary"),
    )

    html = await fragment(client_for, "blog", "/internal/fragments/nav?current=blog")

    assert html.index(">Home<") < html.index(">About<") < html.index(">Makers&#39; guild<")
    assert f'href="{BLOG}/about/"' in html  # absolute: shown on every host
    assert 'href="https://guild.example/"' in html
    assert f'href="{BLOG}/" aria-current="page">Home<' in html
    assert "Legal" not in html
    for label in ("Market", "Events", "Social"):
        assert f">{label}<" in html


async def test_nav_marks_the_tab_of_the_app_it_is_shown_on(client_for: ClientFactory) -> None:
    html = await fragment(client_for, "blog", "/internal/fragments/nav?current=market")
    assert 'aria-current="page">Market<' in html
    assert ">Blog<" in html  # no menu yet: the blog itself is linked


async def test_nav_refuses_an_unknown_menu(client_for: ClientFactory) -> None:
    await fragment(client_for, "blog", "/internal/fragments/nav?menu=nope", status=400)


async def test_mini_cart_of_an_anonymous_visitor_counts_items_and_totals_them(
    db: AsyncSession, client_for: ClientFactory
) -> None:
    stall = await make_stall(db, "Marsh Honey")
    honey = await make_product(db, stall, "Wildflower honey", 850)
    candles = await make_product(db, stall, "Candles", 1200)
    cart = Cart(anon_token="visitor-token")
    await add(db, cart)
    await add(
        db,
        CartLine(cart_id=cart.id, product_id=honey.id, variant_id=honey.variants[0].id, quantity=2),
        CartLine(
            cart_id=cart.id, product_id=candles.id, variant_id=candles.variants[0].id, quantity=1
        ),
    )

    html = await fragment(
        client_for,
        "cart",
        "/internal/fragments/mini-cart",
        FragmentViewer(anon_cart="visitor-token"),
    )

    assert '<span class="cart-link__count">3</span>' in html
    assert "£29.00" in html
    assert 'href="http://cart.localhost:8003/"' in html


async def test_mini_cart_of_a_member_is_their_cart(
    db: AsyncSession, client_for: ClientFactory
) -> None:
    member = await make_user(db, "ben")
    stall = await make_stall(db, "Okafor Bakery")
    bread = await make_product(db, stall, "Sourdough", 450)
    cart = Cart(user_id=member.id)
    await add(db, cart)
    await add(
        db,
        CartLine(cart_id=cart.id, product_id=bread.id, variant_id=bread.variants[0].id, quantity=1),
    )

    html = await fragment(
        client_for, "cart", "/internal/fragments/mini-cart", FragmentViewer(user_id=member.id)
    )
    assert '<span class="cart-link__count">1</span>' in html and "£4.50" in html


async def test_an_empty_mini_cart_shows_no_count(client_for: ClientFactory) -> None:
    html = await fragment(client_for, "cart", "/internal/fragments/mini-cart")
    assert 'data-fragment="mini-cart"' in html
    assert "cart-link__count" not in html


async def test_user_menu_of_a_member_has_their_name_and_links(
    db: AsyncSession, client_for: ClientFactory
) -> None:
    member = await make_user(db, "cleo", display_name="Cleo Marsh")

    html = await fragment(
        client_for, "account", "/internal/fragments/user-menu", FragmentViewer(user_id=member.id)
    )

    assert "Cleo Marsh" in html and "@cleo" in html
    assert 'href="http://account.localhost:8006/">Your account<' in html
    assert "/admin/navigation/" not in html
    assert "Sign in" not in html


async def test_user_menu_of_an_admin_links_the_navigation_admin(
    db: AsyncSession, client_for: ClientFactory
) -> None:
    admin = await make_user(db, "ada", is_admin=True)
    html = await fragment(
        client_for, "account", "/internal/fragments/user-menu", FragmentViewer(user_id=admin.id)
    )
    assert f'href="{BLOG}/admin/navigation/"' in html


@pytest.mark.parametrize("viewer", [None, FragmentViewer(), FragmentViewer(user_id=999_999)])
async def test_user_menu_of_nobody_offers_to_sign_in(
    client_for: ClientFactory, viewer: FragmentViewer | None
) -> None:
    html = await fragment(client_for, "account", "/internal/fragments/user-menu", viewer)
    assert 'href="/auth/login"' in html and "Sign in" in html


async def test_upcoming_events_are_the_next_few(
    db: AsyncSession, client_for: ClientFactory
) -> None:
    calendar = await make_calendar(db, "Community calendar")
    for days, title in ((3, "Repair café"), (1, "Seed swap"), (9, "Supper"), (-5, "Gone")):
        await make_event(db, calendar, title, now() + timedelta(days=days), location="The Hall")

    html = await fragment(client_for, "events", "/internal/fragments/upcoming-events?limit=2")

    assert html.index("Seed swap") < html.index("Repair café")
    assert "Supper" not in html and "Gone" not in html
    # Each event links to its page on the events app (absolute: shown on other hosts).
    assert f'href="http://events.localhost:8004/{calendar.slug}/' in html
    assert 'href="http://events.localhost:8004/">All events<' in html
    assert "The Hall" in html and 'href="http://events.localhost:8004/">All events<' in html


async def test_upcoming_events_of_one_container(
    db: AsyncSession, client_for: ClientFactory
) -> None:
    general = await make_calendar(db, "Community")
    post_calendar = await make_calendar(db, "Winter market")
    post_calendar.container_type, post_calendar.container_id = "post", 12
    await db.flush()
    await make_event(db, general, "Seed swap", now() + timedelta(days=1))
    await make_event(db, post_calendar, "Lantern walk", now() + timedelta(days=2))

    html = await fragment(
        client_for,
        "events",
        "/internal/fragments/upcoming-events?container_type=post&container_id=12",
    )
    assert "Lantern walk" in html and "Seed swap" not in html

    other = await fragment(
        client_for,
        "events",
        "/internal/fragments/upcoming-events?container_type=post&container_id=13",
    )
    assert other.strip() == ""  # nothing at all, so the page can leave the space out


@pytest.mark.parametrize(
    "query",
    ["limit=many", "container_type=post", "container_type=planet&container_id=1", "container_id=1"],
)
async def test_upcoming_events_refuse_bad_params(client_for: ClientFactory, query: str) -> None:
    await fragment(client_for, "events", f"/internal/fragments/upcoming-events?{query}", status=400)
