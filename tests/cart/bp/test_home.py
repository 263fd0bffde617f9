"""The cart page: lines by stall with subtotals, quantities changed, lines removed,
and bad input refused with nothing changed."""

from __future__ import annotations

import pytest
from redis.asyncio import Redis
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts.widgets import cart_changed
from shared.infrastructure.config import Settings
from shared.models.cart import Cart, CartLine
from tests.conftest import AppFactory
from tests.support.cart_web import cart_app, csrf, viewer_of
from tests.support.factories import add, make_product, make_stall, make_user


async def quantities(db: AsyncSession, cart_id: int) -> list[int]:
    rows = await db.scalars(
        select(CartLine.quantity).where(CartLine.cart_id == cart_id).order_by(CartLine.id)
    )
    return list(rows)


@pytest.fixture
async def member_cart(db: AsyncSession) -> tuple[object, Cart, list[CartLine]]:
    member = await make_user(db)
    bakery = await make_stall(db, "Hill Bakery")
    potter = await make_stall(db, "Hartley Ceramics")
    bread = await make_product(db, bakery, "Sourdough", 450, stock=3)
    mug = await make_product(db, potter, "Mug", 1800)
    cart = Cart(user_id=member.id)
    await add(db, cart)
    lines = [
        CartLine(cart_id=cart.id, product_id=p.id, variant_id=p.variants[0].id, quantity=q)
        for p, q in ((bread, 2), (mug, 1))
    ]
    await add(db, *lines)
    return member, cart, lines


async def test_the_cart_is_grouped_by_stall_with_subtotals(
    make_app: AppFactory, settings: Settings, member_cart: tuple[object, Cart, list[CartLine]]
) -> None:
    member, _, _ = member_cart
    app, who = await cart_app(make_app, settings)
    who.viewer = viewer_of(member)
    html = await (await app.test_client().get("/")).get_data(as_text=True)
    assert html.index("Hill Bakery") < html.index("Sourdough") < html.index("Hartley Ceramics")
    assert "£9.00" in html and "£18.00" in html and "£27.00" in html
    assert 'href="/checkout"' in html


async def test_changing_a_quantity_and_removing_a_line(
    make_app: AppFactory,
    settings: Settings,
    db: AsyncSession,
    redis: Redis,
    member_cart: tuple[object, Cart, list[CartLine]],
) -> None:
    member, cart, (bread, mug) = member_cart
    app, who = await cart_app(make_app, settings)
    who.viewer = viewer_of(member)
    client = app.test_client()
    token = await csrf(client)

    response = await client.post(
        f"/lines/{bread.id}/quantity", form={"csrf_token": token, "quantity": "3"}
    )
    assert response.status_code == 303
    assert await quantities(db, cart.id) == [3, 1]
    scope = cart_changed(user_id=member.id, anon_token=None)  # type: ignore[attr-defined]
    assert int(await redis.get(f"frag:v1:gen:cart:mini-cart:{scope.scope}") or 0) == 1

    too_many = await client.post(
        f"/lines/{bread.id}/quantity", form={"csrf_token": token, "quantity": "4"}
    )
    assert too_many.status_code == 409
    assert "Only 3 left" in await too_many.get_data(as_text=True)

    removed = await client.post(f"/lines/{mug.id}/delete", form={"csrf_token": token})
    assert removed.status_code == 303
    assert await quantities(db, cart.id) == [3]


@pytest.mark.parametrize(
    ("quantity", "status"), [("0", 400), ("-1", 400), ("1000000000", 400), ("abc", 400)]
)
async def test_a_bad_quantity_is_a_clear_400_and_nothing_changes(
    make_app: AppFactory,
    settings: Settings,
    db: AsyncSession,
    member_cart: tuple[object, Cart, list[CartLine]],
    quantity: str,
    status: int,
) -> None:
    member, cart, (bread, _) = member_cart
    app, who = await cart_app(make_app, settings)
    who.viewer = viewer_of(member)
    client = app.test_client()
    response = await client.post(
        f"/lines/{bread.id}/quantity", form={"csrf_token": await csrf(client), "quantity": quantity}
    )
    assert response.status_code == status
    assert "quantity" in (await response.get_data(as_text=True)).lower()
    assert await quantities(db, cart.id) == [2, 1]


async def test_another_visitors_line_is_not_found_and_untouched(
    make_app: AppFactory,
    settings: Settings,
    db: AsyncSession,
    member_cart: tuple[object, Cart, list[CartLine]],
) -> None:
    _, cart, (bread, _) = member_cart
    intruder = await make_user(db)
    app, who = await cart_app(make_app, settings)
    who.viewer = viewer_of(intruder)
    client = app.test_client()
    token = await csrf(client)
    changed = await client.post(
        f"/lines/{bread.id}/quantity", form={"csrf_token": token, "quantity": "1"}
    )
    removed = await client.post(f"/lines/{bread.id}/delete", form={"csrf_token": token})
    assert changed.status_code == removed.status_code == 404
    assert await quantities(db, cart.id) == [2, 1]
