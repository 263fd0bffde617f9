"""POST /lines on the cart app: "Add to cart" from market pages, then the mini-cart changes."""

from __future__ import annotations

import re

import pytest
from quart import Quart, Response
from redis.asyncio import Redis
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts.dtos import UserRecord
from shared.contracts.widgets import cart_changed
from shared.infrastructure.config import Settings
from shared.infrastructure.viewer import set_viewer
from shared.models.cart import Cart, CartLine
from shared.models.market import Product
from tests.conftest import AppFactory
from tests.support.factories import make_product, make_stall, make_user

MARKET = "http://market.localhost:8002"
FROM_MARKET = {"Origin": MARKET, "Sec-Fetch-Site": "same-site"}


@pytest.fixture
async def honey(db: AsyncSession) -> Product:
    return await make_product(db, await make_stall(db, "Marsh Honey"), "Wildflower honey", 850)


async def generation(redis: Redis, user_id: int | None, token: str | None) -> int:
    scope = cart_changed(user_id=user_id, anon_token=token)
    value = await redis.get(f"frag:v1:gen:cart:mini-cart:{scope.scope}")
    return int(value or 0)


async def add(app: Quart, form: dict[str, str], headers: dict[str, str] | None = None) -> Response:
    """POST /lines as a browser on a market page does (unless `headers` say otherwise)."""
    client = app.test_client()
    return await client.post(
        "/lines", form=form, headers=FROM_MARKET if headers is None else headers
    )


async def test_an_anonymous_visitor_gets_a_cart_and_a_cookie(
    make_app: AppFactory, db: AsyncSession, redis: Redis, honey: Product
) -> None:
    app = await make_app("cart")
    response = await add(app, {"product_id": str(honey.id), "quantity": "2", "next": MARKET + "/"})

    assert response.status_code == 303
    assert response.headers["Location"] == MARKET + "/"
    cookie = response.headers["Set-Cookie"]
    token = cookie.split("ra_cart=", 1)[1].split(";", 1)[0]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Domain" not in cookie  # *.localhost share no domain a browser accepts
    cart = await db.scalar(select(Cart).where(Cart.anon_token == token))
    assert cart is not None and [(line.product_id, line.quantity) for line in cart.lines] == [
        (honey.id, 2)
    ]
    # Committed, then the visitor's mini-cart invalidated.
    assert await generation(redis, None, token) == 1


async def test_the_cart_cookie_is_for_every_app_when_they_share_a_domain(
    make_app: AppFactory, settings: Settings, honey: Product
) -> None:
    apps = {
        name: urls.model_copy(update={"base_url": f"https://{name}.rose-ash.com"})
        for name, urls in settings.apps.items()
    }
    app = await make_app("cart", app_settings=settings.model_copy(update={"apps": apps}))
    headers = {"Origin": "https://market.rose-ash.com"}
    response = await add(app, {"product_id": str(honey.id)}, headers)
    assert response.status_code == 303
    assert "Domain=rose-ash.com" in response.headers["Set-Cookie"]


async def test_adding_the_same_product_again_raises_its_quantity(
    make_app: AppFactory, db: AsyncSession, honey: Product
) -> None:
    app = await make_app("cart")
    client = app.test_client()
    token = "a-returning-visitors-cart-token-0123456789"
    client.set_cookie("localhost", "ra_cart", token)
    for _ in range(2):
        await client.post("/lines", form={"product_id": str(honey.id)}, headers=FROM_MARKET)

    lines = (await db.scalars(select(CartLine))).all()
    assert [(line.product_id, line.quantity) for line in lines] == [(honey.id, 2)]


async def test_a_member_adds_to_their_own_cart(
    make_app: AppFactory, db: AsyncSession, redis: Redis, honey: Product
) -> None:
    member = await make_user(db, "ben")
    app = await make_app("cart")
    record = UserRecord(
        id=member.id, username="ben", display_name="Ben", email=member.email, is_admin=False
    )

    @app.before_request
    async def sign_in() -> None:
        set_viewer(record)

    response = await add(app, {"product_id": str(honey.id)})

    assert response.status_code == 303 and "ra_cart" not in response.headers.get("Set-Cookie", "")
    cart = await db.scalar(select(Cart).where(Cart.user_id == member.id))
    assert cart is not None and len(cart.lines) == 1
    assert await generation(redis, member.id, None) == 1


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://evil.example"},
        {"Referer": "https://evil.example/page"},
        {},  # says nothing about where it comes from
    ],
)
async def test_a_form_from_another_site_is_refused(
    make_app: AppFactory, db: AsyncSession, honey: Product, headers: dict[str, str]
) -> None:
    app = await make_app("cart")
    response = await add(app, {"product_id": str(honey.id)}, headers)
    assert response.status_code == 403
    assert await db.scalar(select(Cart)) is None


async def test_a_cross_site_form_of_ours_goes_to_a_confirmation_page(
    make_app: AppFactory, db: AsyncSession, honey: Product
) -> None:
    # market.localhost -> cart.localhost is cross-site: the browser kept our
    # cookies back, so the visitor confirms on the cart's own page.
    app = await make_app("cart")
    headers = {"Origin": MARKET, "Sec-Fetch-Site": "cross-site"}
    form = {"product_id": str(honey.id), "quantity": "2", "next": MARKET + "/"}
    response = await add(app, form, headers)
    assert response.status_code == 303
    location = response.headers["Location"]
    assert location.startswith("/lines/new?") and await db.scalar(select(Cart)) is None

    client = app.test_client()
    page = await client.get(location)
    html = await page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Wildflower honey" in html and "£8.50 each" in html
    assert 'name="quantity" value="2"' in html and f'value="{MARKET}/"' in html
    token = re.search(r'name="csrf_token" value="([0-9a-f]+)"', html)
    assert token

    confirmed = await client.post(
        "/lines",
        form={**form, "csrf_token": token.group(1)},
        headers={"Origin": "http://cart.localhost:8003", "Sec-Fetch-Site": "same-origin"},
    )
    assert confirmed.status_code == 303 and confirmed.headers["Location"] == MARKET + "/"
    lines = (await db.scalars(select(CartLine))).all()
    assert [(line.product_id, line.quantity) for line in lines] == [(honey.id, 2)]


async def test_the_confirmation_page_refuses_what_is_not_on_sale(
    make_app: AppFactory, db: AsyncSession
) -> None:
    sold_out = await make_product(db, await make_stall(db, "Kiln"), "Platter", 5500, stock=0)
    client = (await make_app("cart")).test_client()
    assert (await client.get(f"/lines/new?product_id={sold_out.id}")).status_code == 409
    assert (await client.get("/lines/new")).status_code == 400


async def test_a_form_from_the_cart_itself_is_accepted_by_referer(
    make_app: AppFactory, honey: Product
) -> None:
    app = await make_app("cart")
    headers = {"Referer": "http://cart.localhost:8003/"}
    response = await add(app, {"product_id": str(honey.id), "next": "/"}, headers)
    assert response.status_code == 303 and response.headers["Location"] == "/"


@pytest.mark.parametrize(
    "next_url", ["https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:x"]
)
async def test_the_way_back_is_always_one_of_our_own_pages(
    make_app: AppFactory, honey: Product, next_url: str
) -> None:
    app = await make_app("cart")
    response = await add(app, {"product_id": str(honey.id), "next": next_url})
    assert response.status_code == 303 and response.headers["Location"] == "/"


@pytest.mark.parametrize(
    "form",
    [{}, {"product_id": "x"}, {"product_id": "1", "ticket_type_id": "2"}, {"quantity": "0"}],
)
async def test_a_malformed_form_is_refused(make_app: AppFactory, form: dict[str, str]) -> None:
    app = await make_app("cart")
    form = {"product_id": "1", **form} if "quantity" in form else form
    assert (await add(app, form)).status_code == 400


async def test_a_product_not_on_sale_is_refused_and_nothing_is_invalidated(
    make_app: AppFactory, db: AsyncSession, redis: Redis
) -> None:
    stall = await make_stall(db, "Hartley Ceramics")
    draft = await make_product(db, stall, "Prototype", 100, status="draft")
    sold_out = await make_product(db, stall, "Platter", 5500, stock=0)
    app = await make_app("cart")

    for product in (draft, sold_out):
        response = await add(app, {"product_id": str(product.id)})
        assert response.status_code == 409
    assert await db.scalar(select(CartLine)) is None
    assert await redis.keys("frag:v1:gen:*") == []
