"""Getting products in: CSV with a dry run that names each row's problems, the export in
the same format, and import from a shop's page that prefills the form and never lists."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web
from quart.typing import TestClientProtocol as Client
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.infrastructure.config import Settings
from shared.models.identity import User
from shared.models.market import Category, Product, ProductVariant
from shared.services.market.spreadsheets import COLUMNS
from tests.conftest import AppFactory
from tests.infrastructure.media.samples import image_bytes
from tests.market.conftest import MarketAs, csrf, record_of, text
from tests.support.factories import add, make_stall

PAGES = Path(__file__).parents[2] / "services" / "market" / "pages"
GOOD_CSV = (
    ",".join(COLUMNS) + "\n"
    "rye,Seeded rye,<p>Dense.</p>,bread,750 g,RYE-750,5.00,15,no,750,g\n"
    "rye,Seeded rye,<p>Dense.</p>,bread,1.5 kg,RYE-1500,9.00,4,no,1500,g\n"
    "cake,Birthday cake,,bread,Whole,,30,,yes,1,item\n"
)


async def _stall(db: AsyncSession, owner: User) -> None:
    await add(db, Category(slug="bread", name="Bread"))
    await make_stall(db, "Okafor Bakery", owner, slug="okafor")


async def _import(client: Client, body: str, *, apply: bool = False) -> tuple[int, str]:
    token = await csrf(client, "/stalls/okafor/manage/import")
    form = {"csv_text": body, "csrf_token": token} | ({"apply": "1"} if apply else {})
    response = await client.post("/stalls/okafor/manage/import", form=form)
    return response.status_code, await text(response)


async def test_a_csv_is_previewed_then_imported_as_drafts_and_exported_the_same(
    market_as: MarketAs, db: AsyncSession, ben: User
) -> None:
    await _stall(db, ben)
    client = await market_as(ben)
    status, page = await _import(client, GOOD_CSV)
    assert status == 200 and "Ready to import" in page and "2 products, 3 variants" in page
    assert await db.scalar(select(func.count(Product.id))) == 0  # a dry run writes nothing
    status, page = await _import(client, GOOD_CSV, apply=True)
    assert status == 200 and "Imported" in page
    rows = (await db.execute(select(Product.slug, Product.status).order_by(Product.slug))).all()
    assert [tuple(r) for r in rows] == [("cake", "draft"), ("rye", "draft")]
    made = await db.scalar(select(ProductVariant).where(ProductVariant.name == "Whole"))
    assert made is not None and made.made_to_order and made.stock is None
    exported = await client.get("/stalls/okafor/manage/export.csv")
    assert exported.headers["Content-Type"].startswith("text/csv")
    back = list(csv.DictReader(io.StringIO(await text(exported))))
    assert [(r["product_slug"], r["variant"], r["price"], r["stock"]) for r in back] == [
        ("cake", "Whole", "30.00", ""),
        ("rye", "750 g", "5.00", "15"),
        ("rye", "1.5 kg", "9.00", "4"),
    ]


async def test_a_broken_row_is_named_by_line_and_column_and_nothing_is_written(
    market_as: MarketAs, db: AsyncSession, ben: User
) -> None:
    await _stall(db, ben)
    client = await market_as(ben)
    broken = GOOD_CSV + "bun,Bun,,bread,One,,-2,1,no,,\nbap,Bap,,cakes,One,,1.00,x,no,,\n"
    status, page = await _import(client, broken, apply=True)
    assert status == 400 and "Problems found: nothing was imported" in page
    assert "<td>5</td><td>bun</td>" in page and "<strong>price</strong>" in page
    assert "<td>6</td><td>bap</td>" in page
    assert "<strong>category</strong>: There is no category “cakes”" in page
    assert "<strong>stock</strong>" in page
    assert await db.scalar(select(func.count(Product.id))) == 0


async def test_a_file_without_the_needed_columns_is_refused(
    market_as: MarketAs, db: AsyncSession, ben: User
) -> None:
    await _stall(db, ben)
    status, page = await _import(await market_as(ben), "name,cost\nbread,4\n")
    assert status == 400 and "lacks the column(s): product_slug, title, variant, price" in page


@pytest.fixture
async def shop() -> AsyncIterator[str]:
    async def page(request: web.Request) -> web.Response:
        html = (PAGES / f"{request.match_info['name']}.html").read_text()
        return web.Response(text=html, content_type="text/html")

    async def photo(request: web.Request) -> web.Response:
        return web.Response(body=image_bytes(800, 600), content_type="image/jpeg")

    app = web.Application()
    app.add_routes(
        [web.get("/products/{name}", page), web.get("/wp-content/uploads/{path:.*}", photo)]
    )
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield f"http://127.0.0.1:{port}"
    await runner.cleanup()


async def _market_allowing_loopback(
    make_app: AppFactory, settings: Settings, user: User, *, allow: bool = True
) -> Client:
    from shared.infrastructure.viewer import set_viewer

    networks = "127.0.0.0/8" if allow else ""
    ap = settings.activitypub.model_copy(update={"fetch_allow_networks": networks})
    app = await make_app("market", app_settings=settings.model_copy(update={"activitypub": ap}))
    viewer = record_of(user)

    @app.before_request
    async def sign_in() -> None:
        set_viewer(viewer)

    return app.test_client()


async def _import_url(client: Client, url: str) -> tuple[int, str]:
    token = await csrf(client, "/stalls/okafor/manage/import-url")
    response = await client.post(
        "/stalls/okafor/manage/import-url", form={"url": url, "csrf_token": token}
    )
    return response.status_code, await text(response)


async def test_a_shop_page_prefills_the_form_with_its_photo_and_lists_nothing(
    make_app: AppFactory, settings: Settings, db: AsyncSession, ben: User, shop: str
) -> None:
    await _stall(db, ben)
    client = await _market_allowing_loopback(make_app, settings, ben)
    status, page = await _import_url(client, f"{shop}/products/woocommerce")
    assert status == 200
    assert 'value="Hand-knitted Wool Socks"' in page and 'value="18.00"' in page
    assert 'name="currency" maxlength="3" size="4" value="GBP"' in page
    assert "Warm socks knitted from Herdwick wool" in page
    assert "check every field before you save" in page
    assert 'name="image_url" value="/media/' in page  # fetched and stored like an upload
    assert f'value="{shop}/products/woocommerce"' in page  # the source is kept
    assert await db.scalar(select(func.count(Product.id))) == 0


async def test_a_javascript_only_page_gets_a_clear_message(
    make_app: AppFactory, settings: Settings, db: AsyncSession, ben: User, shop: str
) -> None:
    await _stall(db, ben)
    client = await _market_allowing_loopback(make_app, settings, ben)
    status, page = await _import_url(client, f"{shop}/products/javascript")
    assert status == 422 and "drawn by JavaScript" in page


@pytest.mark.parametrize("url", ["http://127.0.0.1/", "http://10.0.0.1/", "file:///etc/passwd"])
async def test_internal_and_non_http_addresses_are_refused(
    make_app: AppFactory, settings: Settings, db: AsyncSession, ben: User, url: str
) -> None:
    await _stall(db, ben)
    client = await _market_allowing_loopback(make_app, settings, ben, allow=False)
    status, page = await _import_url(client, url)
    assert status == 422 and "That address cannot be imported" in page
