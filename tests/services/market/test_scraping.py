"""Import from a URL: the real shapes of a Shopify page (JSON-LD), a WooCommerce page
(microdata with <link itemprop="availability">, a Yoast @graph beside it), an Open
Graph-only page and a JavaScript-only page, served over loopback and fetched through
the safe fetcher."""

from __future__ import annotations

import ipaddress
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web

from shared.contracts.market import ScrapedProduct
from shared.infrastructure.fetch import SafeFetcher
from shared.services.market.scraping import extract_product, price_of

PAGES = Path(__file__).parent / "pages"


@pytest.fixture
async def shop() -> AsyncIterator[str]:
    async def page(request: web.Request) -> web.Response:
        html = (PAGES / f"{request.match_info['name']}.html").read_text()
        return web.Response(text=html, content_type="text/html")

    app = web.Application()
    app.add_routes([web.get("/products/{name}", page)])
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield f"http://127.0.0.1:{port}"
    await runner.cleanup()


async def scraped(shop: str, name: str) -> ScrapedProduct | None:
    fetcher = SafeFetcher((ipaddress.ip_network("127.0.0.0/8"),))
    try:
        page = await fetcher.get(f"{shop}/products/{name}")
    finally:
        await fetcher.aclose()
    return extract_product(page.text(), page.url)


async def test_a_shopify_page_is_read_from_its_json_ld(shop: str) -> None:
    found = await scraped(shop, "shopify")
    assert found is not None and found.found_in == "json-ld"
    assert found.title == "Smoked Sea Salt Flakes"
    assert found.description.startswith("Hand-harvested sea salt flakes")
    assert "<b>" not in found.description
    assert (found.price_minor, found.currency) == (650, "GBP")
    assert found.image_url == "https://cdn.shopify.example/s/files/1/0001/salt_1024x1024.jpg?v=1699"


async def test_a_woocommerce_page_is_read_from_its_microdata(shop: str) -> None:
    found = await scraped(shop, "woocommerce")
    assert found is not None and found.found_in == "microdata"
    assert found.title == "Hand-knitted Wool Socks"
    assert found.description == "Warm socks knitted from Herdwick wool, one pair at a time."
    assert (found.price_minor, found.currency) == (1800, "GBP")
    assert found.image_url == f"{shop}/wp-content/uploads/2026/10/socks-600x600.jpg"


async def test_an_open_graph_only_page_is_read_from_its_product_price_tags(shop: str) -> None:
    found = await scraped(shop, "opengraph")
    assert found is not None and found.found_in == "opengraph"
    assert found.title == "Linen tea towel"
    assert found.description == "Woven on a floor loom from undyed Irish linen."
    assert (found.price_minor, found.currency) == (1450, "EUR")  # "14,50"
    assert found.image_url == "https://weavingshed.example/img/tea-towel.jpg"


async def test_a_javascript_only_page_has_no_product(shop: str) -> None:
    assert await scraped(shop, "javascript") is None


def test_a_graph_with_nested_offers_and_a_price_specification_is_read() -> None:
    html = """<script type="application/ld+json">{"@context": "https://schema.org",
      "@graph": [{"@type": "WebSite", "name": "Shop"},
                 {"@type": ["Product"], "name": "Oat cakes",
                  "offers": {"@type": "AggregateOffer", "offers": [
                     {"@type": "Offer", "priceSpecification": {
                        "@type": "UnitPriceSpecification", "price": 3.2,
                        "priceCurrency": "EUR"}}]}}]}
    </script>"""
    found = extract_product(html, "https://shop.example/oat-cakes")
    assert found is not None
    assert (found.title, found.price_minor, found.currency) == ("Oat cakes", 320, "EUR")


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [("£12", None, (1200, "GBP")), ("12,50 €", None, (1250, "EUR")),
     ("1,299.00", "USD", (129900, "USD")), ("on request", None, (None, None))],
)  # fmt: skip
def test_prices_are_read_the_ways_shops_write_them(
    amount: str, currency: str | None, expected: tuple[int | None, str | None]
) -> None:
    assert price_of(amount, currency) == expected
