"""Adding and editing products: variants, unit prices, validation, and who may."""

from __future__ import annotations

import json
import re

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.models.identity import User
from shared.models.market import Category, Product, ProductVariant, Stall, StallHelper
from tests.market.conftest import MarketAs, csrf, text
from tests.support.factories import add, make_product, make_stall, make_user

HONEY = {
    "title": "Heather honey",
    "slug": "",
    "description": "<p>Dark and <em>floral</em>.</p><img src=x onerror=alert(1)>",
    "category": "honey",
    "variant-0-name": "340 g",
    "variant-0-price": "8.50",
    "variant-0-sku": "HH-340",
    "variant-0-stock": "12",
    "variant-0-measure_quantity": "340",
    "variant-0-measure_unit": "g",
    "variant-1-name": "1 kg",
    "variant-1-price": "22",
    "variant-1-stock": "3",
    "variant-1-measure_quantity": "1000",
    "variant-1-measure_unit": "g",
}


async def _stall(db: AsyncSession, owner: User) -> Stall:
    await add(db, Category(slug="honey", name="Honey"))
    return await make_stall(db, "Marsh Honey", owner, slug="marsh-honey")


async def _post(
    client: object, path: str, form: dict[str, str], *, form_page: str | None = None
) -> object:
    token = await csrf(client, form_page or path)  # type: ignore[arg-type]
    return await client.post(path, form={**form, "csrf_token": token})  # type: ignore[attr-defined]


async def test_an_owner_lists_a_product_in_two_variants_with_unit_prices(
    market_as: MarketAs, db: AsyncSession, ben: User
) -> None:
    await _stall(db, ben)
    client = await market_as(ben)
    response = await _post(
        client, "/stalls/marsh-honey/manage/products/new", {**HONEY, "publish": "1"}
    )
    assert response.status_code == 303, await text(response)
    page = await text(await (await market_as(None)).get("/stalls/marsh-honey/heather-honey/"))
    assert "£8.50" in page and "£25.00 per kg" in page  # 850 / 340 g
    assert "£22.00" in page and "£22.00 per kg" in page
    assert "<em>floral</em>" in page and "onerror" not in page
    assert 'name="variant_id"' in page and "Add to cart" in page
    assert '<meta property="og:type" content="product">' in page
    assert '<meta property="product:price:amount" content="8.50">' in page
    data = json.loads(
        re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.S).group(1)  # type: ignore[union-attr]
    )
    assert data["@type"] == "Product" and data["name"] == "Heather honey"
    assert [(o["price"], o["priceCurrency"]) for o in data["offers"]] == [
        ("8.50", "GBP"),
        ("22.00", "GBP"),
    ]
    assert all(o["availability"] == "https://schema.org/InStock" for o in data["offers"])
    search = await text(await (await market_as(None)).get("/search/?q=heather"))
    assert "Heather honey" in search and "from £8.50" in search


async def test_a_product_is_sold_out_when_every_tracked_variant_reaches_zero(
    market_as: MarketAs, db: AsyncSession, ben: User
) -> None:
    stall = await _stall(db, ben)
    product = await make_product(db, stall, "Candle", 1200, stock=2)
    variant = await db.scalar(select(ProductVariant).where(ProductVariant.product_id == product.id))
    assert variant is not None
    variant.stock = 0
    await db.flush()
    status = await db.scalar(select(Product.status).where(Product.id == product.id))
    assert status == "sold_out"
    page = await text(await (await market_as(None)).get(f"/stalls/marsh-honey/{product.slug}/"))
    assert "Sold out" in page and "Add to cart</button>" not in page
    variant.stock = 5
    await db.flush()
    assert await db.scalar(select(Product.status).where(Product.id == product.id)) == "listed"


async def test_bad_product_input_names_the_field_and_writes_nothing(
    market_as: MarketAs, db: AsyncSession, ben: User
) -> None:
    await _stall(db, ben)
    client = await market_as(ben)
    for field, value, words in (
        ("variant-0-price", "-1", "price must be a number"),
        ("variant-0-price", "abc", "price must be a number"),
        ("title", "x" * 100_000, "at most 255"),
        ("category", "no-such-thing", "There is no category"),
        ("variant-0-measure_unit", "lb", "unit must be one of"),
        ("variant-1-stock", "-3", "stock must be a whole number"),
    ):
        response = await _post(
            client, "/stalls/marsh-honey/manage/products/new", {**HONEY, field: value}
        )
        assert response.status_code == 400, field  # type: ignore[attr-defined]
        body = await text(response)
        assert f"<strong>{field}</strong>" in body and words in body, field
    assert await db.scalar(select(func.count(Product.id))) == 0


async def test_a_member_who_does_not_own_the_stall_gets_403(
    market_as: MarketAs, db: AsyncSession, ben: User
) -> None:
    stall = await _stall(db, ben)
    product = await make_product(db, stall, "Candle", 1200)
    stranger = await market_as(await make_user(db, "mallory"))
    for path in (
        "/stalls/marsh-honey/manage/",
        "/stalls/marsh-honey/manage/products/new",
        f"/stalls/marsh-honey/manage/products/{product.id}/",
        "/stalls/marsh-honey/manage/export.csv",
        "/stalls/marsh-honey/manage/import",
        "/stalls/marsh-honey/manage/import-url",
    ):
        assert (await stranger.get(path)).status_code == 403, path
    response = await stranger.post(
        f"/stalls/marsh-honey/manage/products/{product.id}/status", form={"action": "archive"}
    )
    assert response.status_code in (400, 403)  # no CSRF token either way
    visitor = await (await market_as(None)).get("/stalls/marsh-honey/manage/")
    assert visitor.status_code == 302  # a visitor is sent to sign in first
    assert visitor.headers["Location"] == "/auth/login?next=/stalls/marsh-honey/manage/"


async def test_a_helper_manages_the_stall_once_the_owner_adds_them(
    market_as: MarketAs, db: AsyncSession, ben: User
) -> None:
    await _stall(db, ben)
    cleo = await make_user(db, "cleo")
    assert (await (await market_as(cleo)).get("/stalls/marsh-honey/manage/")).status_code == 403
    owner = await market_as(ben)
    response = await _post(
        owner,
        "/stalls/marsh-honey/manage/helpers",
        {"username": "cleo"},
        form_page="/stalls/marsh-honey/manage/",
    )
    assert response.status_code == 303  # type: ignore[attr-defined]
    assert (await (await market_as(cleo)).get("/stalls/marsh-honey/manage/")).status_code == 200


async def test_the_owner_removes_a_helper_with_the_button_beside_their_name(
    market_as: MarketAs, db: AsyncSession, ben: User
) -> None:
    stall = await _stall(db, ben)
    cleo = await make_user(db, "cleo")
    await add(db, StallHelper(stall_id=stall.id, user_id=cleo.id))
    owner = await market_as(ben)
    dashboard = await text(await owner.get("/stalls/marsh-honey/manage/"))
    form = re.search(
        r'<form method="post" action="(/stalls/marsh-honey/manage/helpers/remove)"'
        r"[^>]*>(.*?)</form>",
        dashboard,
        re.S,
    )
    assert form, dashboard
    assert f'name="user_id" value="{cleo.id}"' in form.group(2)
    assert "Remove cleo as a helper" in form.group(2) and ">Remove</button>" in form.group(2)
    helper_view = await text(await (await market_as(cleo)).get("/stalls/marsh-honey/manage/"))
    assert "cleo" in helper_view and "helpers/remove" not in helper_view  # owner only

    response = await _post(
        owner,
        form.group(1),
        {"user_id": str(cleo.id)},
        form_page="/stalls/marsh-honey/manage/",
    )

    assert response.status_code == 303  # type: ignore[attr-defined]
    after = await text(await owner.get("/stalls/marsh-honey/manage/"))
    assert "cleo" not in after and "helpers/remove" not in after
    assert (await (await market_as(cleo)).get("/stalls/marsh-honey/manage/")).status_code == 403


async def test_a_helper_cannot_remove_helpers(
    market_as: MarketAs, db: AsyncSession, ben: User
) -> None:
    stall = await _stall(db, ben)
    cleo = await make_user(db, "cleo")
    dan = await make_user(db, "dan")
    await add(
        db,
        StallHelper(stall_id=stall.id, user_id=cleo.id),
        StallHelper(stall_id=stall.id, user_id=dan.id),
    )
    response = await _post(
        await market_as(cleo),
        "/stalls/marsh-honey/manage/helpers/remove",
        {"user_id": str(dan.id)},
        form_page="/stalls/marsh-honey/manage/",
    )
    assert response.status_code == 403  # type: ignore[attr-defined]
    assert await db.get(StallHelper, (stall.id, dan.id)) is not None


async def test_editing_keeps_variant_ids_and_archiving_takes_it_off_sale(
    market_as: MarketAs, db: AsyncSession, ben: User
) -> None:
    await _stall(db, ben)
    client = await market_as(ben)
    await _post(client, "/stalls/marsh-honey/manage/products/new", {**HONEY, "publish": "1"})
    product_id = await db.scalar(select(Product.id).where(Product.slug == "heather-honey"))
    before = list(
        await db.scalars(select(ProductVariant.id).where(ProductVariant.product_id == product_id))
    )
    path = f"/stalls/marsh-honey/manage/products/{product_id}/"
    response = await _post(client, path, {**HONEY, "slug": "heather-honey", "title": "Ling honey"})
    assert response.status_code == 303  # type: ignore[attr-defined]
    after = list(
        await db.scalars(select(ProductVariant.id).where(ProductVariant.product_id == product_id))
    )
    assert sorted(after) == sorted(before)
    response = await _post(client, path + "status", {"action": "archive"}, form_page=path)
    assert response.status_code == 303  # type: ignore[attr-defined]
    visitor = await market_as(None)
    assert (await visitor.get("/stalls/marsh-honey/heather-honey/")).status_code == 404
    assert "Ling honey" not in await text(await visitor.get("/search/?q=honey"))


async def test_no_bad_value_in_any_product_field_is_a_500_or_half_written(
    market_as: MarketAs, db: AsyncSession, ben: User
) -> None:
    from tests.infrastructure.test_bad_input import BAD_VALUES

    await _stall(db, ben)
    client = await market_as(ben)
    token = await csrf(client, "/stalls/marsh-honey/manage/products/new")
    failures = []
    for field in HONEY:
        for label, value in BAD_VALUES.items():
            if "\x00" in value:
                continue  # refused before any route (tests/infrastructure/test_bad_input.py)
            form = {**HONEY, "slug": "", field: value, "csrf_token": token}
            response = await client.post("/stalls/marsh-honey/manage/products/new", form=form)
            if response.status_code >= 500:
                failures.append(f"{field}: {label}")
            elif response.status_code == 303:
                await db.execute(Product.__table__.delete())
    assert failures == []
    # What was refused left nothing behind.
    assert await db.scalar(select(func.count(ProductVariant.id))) == 0
