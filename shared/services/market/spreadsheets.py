"""CSV import and export of a stall's products: one row per variant, grouped by product slug.

The import reads every row first (a dry run lists each row's problems by column);
only a file with no problems is written, in one transaction, so a broken row never
leaves half a catalogue behind.
"""

from __future__ import annotations

import csv
import io

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts.market import (
    ImportPreview,
    ImportRow,
    MarketError,
    NewProduct,
    NewVariant,
    ProductRecord,
)
from shared.contracts.money import Money
from shared.models.market import Product
from shared.services.market.drafts import read_product, read_variant

COLUMNS = (
    "product_slug",
    "title",
    "description",
    "category",
    "variant",
    "sku",
    "price",
    "stock",
    "made_to_order",
    "measure_quantity",
    "measure_unit",
)
MAX_ROWS = 5_000
# A read field's key -> the CSV column it came from.
_COLUMN_OF = {
    "name": "variant",
    "slug": "product_slug",
    "variant-0-name": "variant",
}


def _column(key: str) -> str:
    if key in _COLUMN_OF:
        return _COLUMN_OF[key]
    return key.removeprefix("v-") if key.startswith("v-") else key


def _decimal(money: Money) -> str:
    return f"{money.amount_minor // 100}.{money.amount_minor % 100:02d}"


def export_csv(products: list[ProductRecord]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for product in products:
        for variant in product.variants:
            writer.writerow(
                (
                    product.slug,
                    product.title,
                    product.description_html,
                    product.category_slug or "",
                    variant.name,
                    variant.sku or "",
                    _decimal(variant.price),
                    "" if variant.stock is None else variant.stock,
                    "yes" if variant.made_to_order else "no",
                    variant.measure_quantity or "",
                    variant.measure_unit or "",
                )
            )
    return out.getvalue()


def read_csv(text: str) -> tuple[list[ImportRow], list[NewProduct]]:
    """Every row read and checked, and the products they make (valid or not)."""
    reader = csv.DictReader(io.StringIO(text))
    missing = [
        c
        for c in ("product_slug", "title", "variant", "price")
        if c not in (reader.fieldnames or [])
    ]
    if missing:
        raise MarketError({"file": f"The header row lacks the column(s): {', '.join(missing)}."})
    rows: list[ImportRow] = []
    grouped: dict[str, tuple[dict[str, str], list[NewVariant]]] = {}
    for number, raw in enumerate(reader, start=2):
        if number > MAX_ROWS + 1:
            raise MarketError({"file": f"At most {MAX_ROWS:,} rows in one file."})
        fields = {k: (v or "") for k, v in raw.items() if isinstance(k, str) and isinstance(v, str)}
        errors: dict[str, str] = {}
        if None in raw:
            errors["row"] = "This row has more cells than the header has columns."
        variant_fields = {f"v-{key}": value for key, value in fields.items()}
        variant_fields["v-name"] = fields.get("variant", "")
        variant, problems = read_variant(variant_fields, "v-", "The variant")
        errors.update({_column(k): v for k, v in problems.items()})
        head = {
            "title": fields.get("title", ""),
            "slug": fields.get("product_slug", ""),
            "description": fields.get("description", ""),
            "category": fields.get("category", ""),
        }
        _, product_problems = read_product(head, [variant])
        errors.update({_column(k): v for k, v in product_problems.items()})
        slug = head["slug"].strip()
        rows.append(ImportRow(line=number, product_slug=slug, errors=errors))
        if slug:
            grouped.setdefault(slug, (head, []))[1].append(variant)
    products = [read_product(head, variants)[0] for head, variants in grouped.values()]
    return rows, products


def preview_import(
    text: str, *, known_categories: set[str]
) -> tuple[ImportPreview, list[NewProduct]]:
    rows, products = read_csv(text)
    checked = []
    for row in rows:
        problems = dict(row.errors)
        product = next((p for p in products if p.slug == row.product_slug), None)
        if product and product.category_slug and product.category_slug not in known_categories:
            problems["category"] = f"There is no category “{product.category_slug[:100]}”."
        checked.append(ImportRow(row.line, row.product_slug, problems))
    variants = sum(len(p.variants) for p in products)
    return ImportPreview(tuple(checked), len(products), variants), products


async def existing_product_ids(session: AsyncSession, stall_id: int) -> dict[str, int]:
    rows = await session.execute(
        select(Product.slug, Product.id).where(Product.stall_id == stall_id)
    )
    return {slug: pid for slug, pid in rows}
