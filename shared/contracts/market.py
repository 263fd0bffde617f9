"""The market's contract types: stalls, products with variants, search, pages, imports.

DTOs are frozen; `MarketError` names the form field (or CSV column) to blame, so a
form or an import preview can say exactly what is wrong.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from shared.contracts.money import Money

if TYPE_CHECKING:  # dtos.py imports UnitPrice from here
    from shared.contracts.dtos import ProductSummary


class MarketError(ValueError):
    """A stall or product was refused; `errors` maps each refused field to its reason."""

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = dict(errors)
        self.field, self.message = next(iter(self.errors.items()))
        super().__init__(f"{self.field}: {self.message}")


@dataclass(frozen=True, slots=True)
class UnitPrice:
    """A price per kg, per litre or per item (EU Directive 98/6/EC)."""

    price: Money
    per: str  # "kg", "litre" or "item"


@dataclass(frozen=True, slots=True)
class NewStall:
    name: str
    slug: str
    description: str = ""
    story: str = ""
    location: str = ""
    pickup_details: str = ""
    image_url: str | None = None
    image_alt: str = ""


@dataclass(frozen=True, slots=True)
class StallHelperRecord:
    """A member the owner lets manage the stall's products."""

    user_id: int
    username: str


@dataclass(frozen=True, slots=True)
class StallRecord:
    id: int
    slug: str
    name: str
    description: str
    story_html: str
    location: str
    pickup_details: str
    status: str
    owner_id: int
    owner_name: str
    image_url: str | None
    image_alt: str
    helpers: tuple[StallHelperRecord, ...] = ()


@dataclass(frozen=True, slots=True)
class NewVariant:
    name: str
    price_minor: int
    sku: str | None = None
    stock: int | None = None
    made_to_order: bool = False
    measure_quantity: int | None = None
    measure_unit: str | None = None


@dataclass(frozen=True, slots=True)
class NewProduct:
    title: str
    slug: str
    description: str = ""
    category_slug: str | None = None
    currency: str = "GBP"
    variants: tuple[NewVariant, ...] = ()
    image_urls: tuple[str, ...] = ()
    source_url: str | None = None


@dataclass(frozen=True, slots=True)
class VariantRecord:
    id: int
    name: str
    sku: str | None
    price: Money
    stock: int | None
    made_to_order: bool
    measure_quantity: int | None
    measure_unit: str | None
    unit_price: UnitPrice | None

    @property
    def available(self) -> bool:
        return self.made_to_order or self.stock is None or self.stock > 0


@dataclass(frozen=True, slots=True)
class ProductRecord:
    """A product as its page and its edit form show it."""

    id: int
    slug: str
    title: str
    description_html: str
    status: str
    currency: str
    stall_id: int
    stall_slug: str
    stall_name: str
    category_slug: str | None
    category_name: str | None
    image_urls: tuple[str, ...]
    variants: tuple[VariantRecord, ...]
    source_url: str | None
    updated_at: datetime

    @property
    def on_sale(self) -> bool:
        return self.status == "listed"


@dataclass(frozen=True, slots=True)
class CategoryRecord:
    id: int
    slug: str
    name: str
    parent_slug: str | None
    depth: int = 0


@dataclass(frozen=True, slots=True)
class ProductQuery:
    """A search of the listed products; every filter optional."""

    text: str = ""
    category_slug: str | None = None
    stall_slug: str | None = None
    in_stock: bool = False
    min_price_minor: int | None = None
    max_price_minor: int | None = None
    sort: str = "relevance"  # relevance, newest, price_asc, price_desc
    page: int = 1
    per_page: int = 24


@dataclass(frozen=True, slots=True)
class ProductPage:
    """One page of a search: its products, how many matched, which page of how many."""

    products: list[ProductSummary]
    total: int
    page: int
    pages: int


@dataclass(frozen=True, slots=True)
class MarketPageRecord:
    id: int
    slug: str
    title: str
    html: str
    is_published: bool
    stall_slugs: tuple[str, ...] = ()
    product_ids: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class ImportRow:
    """One CSV row, read: the product and variant it describes, or its problems."""

    line: int
    product_slug: str
    errors: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ImportPreview:
    rows: tuple[ImportRow, ...]
    products: int
    variants: int

    @property
    def ok(self) -> bool:
        return all(not row.errors for row in self.rows)


@dataclass(frozen=True, slots=True)
class ScrapedProduct:
    """What a product page says about its product: prefill for the owner's form."""

    source_url: str
    title: str
    description: str = ""
    price_minor: int | None = None
    currency: str | None = None
    image_url: str | None = None
    found_in: str = ""  # "json-ld", "microdata" or "opengraph"
