"""The product card a blog post embeds, as the blog receives it from the market."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from shared.infrastructure.internal import InternalAuth
from tests.conftest import TEST_SECRET_KEY, ClientFactory
from tests.support.factories import make_product, make_stall

AUTH = InternalAuth.from_secret(TEST_SECRET_KEY)


async def test_a_listed_product_shows_its_price_and_stock_today(
    db: AsyncSession, client_for: ClientFactory
) -> None:
    stall = await make_stall(db, "Marsh Honey")
    product = await make_product(db, stall, "Heather honey", price_minor=650, stock=0)
    client = await client_for("market")
    response = await client.get(
        f"/internal/fragments/product-card?id={product.id}", headers=AUTH.headers(None)
    )
    html = await response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Heather honey" in html and "£6.50" in html and "Sold out" in html


async def test_an_unknown_product_is_empty_and_a_bad_id_is_400(client_for: ClientFactory) -> None:
    client = await client_for("market")
    missing = await client.get(
        "/internal/fragments/product-card?id=999999", headers=AUTH.headers(None)
    )
    assert missing.status_code == 200 and (await missing.get_data(as_text=True)) == ""
    bad = await client.get("/internal/fragments/product-card?id=x", headers=AUTH.headers(None))
    assert bad.status_code == 400
