"""Reading a product out of a shop's page: JSON-LD, then microdata, then Open Graph.

Shops write it many ways (reference/features.md §2 and §7): Shopify puts a JSON-LD
`Product` whose `offers` is a list; WooCommerce and Yoast nest it in an `@graph`,
or mark up microdata with `<link itemprop="availability">`; small sites have only
Open Graph `product:price:amount` (or Facebook's older `og:price:amount`). Prices
come as "12.00", "£12", "12,50 €": `price-parser` reads them. A page rendered by
JavaScript, a bot wall or an error page has none of it: the caller says so.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any
from urllib.parse import urljoin

import extruct
from price_parser import Price

from shared.contracts.market import ScrapedProduct
from shared.services.federating import plain_text
from shared.services.market.drafts import MAX_TITLE, clean_line

_SYMBOLS = {"£": "GBP", "€": "EUR", "$": "USD", "US$": "USD", "¥": "JPY"}
MAX_DESCRIPTION = 5_000


def _types(node: dict[str, Any]) -> set[str]:
    kind = node.get("@type", [])
    kinds = kind if isinstance(kind, list) else [kind]
    return {str(k).rsplit("/", 1)[-1] for k in kinds}


def _nodes(value: Any) -> Iterator[dict[str, Any]]:
    """Every dict in a JSON-LD document, @graph and nesting included."""
    if isinstance(value, list):
        for item in value:
            yield from _nodes(item)
    elif isinstance(value, dict):
        yield value
        for key, item in value.items():
            if key != "@context":
                yield from _nodes(item)


def _first(value: Any) -> Any:
    while isinstance(value, list):
        value = value[0] if value else None
    return value


def _text(value: Any) -> str:
    value = _first(value)
    if isinstance(value, dict):
        value = value.get("@value") or value.get("name") or ""
    return clean_line(str(value)) if value is not None else ""


def _image(value: Any, base: str) -> str | None:
    value = _first(value)
    if isinstance(value, dict):
        value = value.get("url") or value.get("contentUrl") or value.get("@id")
    if not value:
        return None
    url = urljoin(base, str(value).strip())
    return url if url.startswith(("http://", "https://")) else None


def _offer_price(offers: Any) -> tuple[Any, Any]:
    """(price, currency) from `offers`: an Offer, a list, an AggregateOffer, nested."""
    for node in _nodes(offers):
        price = node.get("price", node.get("lowPrice"))
        spec = node.get("priceSpecification")
        if price is None and spec is not None:
            spec = _first(spec)
            if isinstance(spec, dict):
                price = spec.get("price")
                node = {
                    **node,
                    "priceCurrency": node.get("priceCurrency", spec.get("priceCurrency")),
                }
        if price is not None and str(price).strip():
            return _first(price), _first(node.get("priceCurrency"))
    return None, None


def price_of(amount: Any, currency: Any) -> tuple[int | None, str | None]:
    """Minor units and an ISO currency from the many ways shops write a price."""
    if amount is None:
        return None, None
    hint = str(currency).strip() if currency else None
    parsed = Price.fromstring(str(amount), currency_hint=hint)
    if parsed.amount is None or parsed.amount < 0:
        return None, None
    code = (hint or parsed.currency or "").strip()
    code = _SYMBOLS.get(code, code).upper()
    minor = int((Decimal(parsed.amount) * 100).quantize(Decimal(1)))
    return minor, code if len(code) == 3 and code.isalpha() else None


def _product(node: dict[str, Any], url: str, found_in: str) -> ScrapedProduct | None:
    title = _text(node.get("name"))[:MAX_TITLE]
    if not title:
        return None
    amount, currency = _offer_price(node.get("offers"))
    price, code = price_of(amount, currency)
    description = plain_text(_text(node.get("description")), MAX_DESCRIPTION)
    return ScrapedProduct(
        source_url=url,
        title=title,
        description=description,
        price_minor=price,
        currency=code,
        image_url=_image(node.get("image"), url),
        found_in=found_in,
    )


def _from_opengraph(items: list[dict[str, Any]], url: str) -> ScrapedProduct | None:
    for item in items:
        props = {k: v for k, v in item.items() if isinstance(k, str)}
        title = _text(props.get("og:title"))[:MAX_TITLE]
        amount = props.get("product:price:amount") or props.get("og:price:amount")
        if not title or amount is None:
            continue
        currency = props.get("product:price:currency") or props.get("og:price:currency")
        price, code = price_of(_first(amount), _first(currency))
        return ScrapedProduct(
            source_url=url,
            title=title,
            description=plain_text(_text(props.get("og:description")), MAX_DESCRIPTION),
            price_minor=price,
            currency=code,
            image_url=_image(props.get("og:image"), url),
            found_in="opengraph",
        )
    return None


def extract_product(html: str, url: str) -> ScrapedProduct | None:
    """The product the page at `url` describes, or None when it describes none."""
    try:
        data = extruct.extract(
            html, base_url=url, syntaxes=["json-ld", "microdata", "opengraph"], uniform=True
        )
    except Exception:  # extruct raises whatever its parsers raise on broken markup
        return None
    for syntax in ("json-ld", "microdata"):
        for node in _nodes(data.get(syntax, [])):
            if "Product" in _types(node) or "ProductGroup" in _types(node):
                found = _product(node, url, syntax)
                if found is not None:
                    return found
    return _from_opengraph(data.get("opengraph", []), url)
