"""Reading a product and its variants from text fields (the product form, a CSV row).

Every problem is reported against the field it is in, all at once, so the form (or
the import preview) can say "price: must be a number like 4.25" beside the field.
Prices are typed as a shop writes them ("4.25") and kept in minor units (425).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from shared.contracts.market import NewProduct, NewVariant
from shared.infrastructure.html import sanitize_html
from shared.services.market.unit_prices import MEASURE_UNITS

MAX_TITLE = 255
MAX_DESCRIPTION = 20_000
MAX_VARIANT_NAME = 100
MAX_SKU = 64
MAX_STOCK = 1_000_000
MAX_VARIANTS = 20
SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
MAX_SLUG = 100
_PRICE = re.compile(r"([0-9]{1,7})(?:\.([0-9]{1,2}))?")
_WHOLE = re.compile(r"[0-9]{1,7}")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_TRUE = {"1", "true", "yes", "on", "y"}
_FALSE = {"", "0", "false", "no", "off", "n"}


def slugify(text: str) -> str:
    """A URL slug from a title: "Wildflower Honey 500g" -> "wildflower-honey-500g"."""
    return "-".join(re.findall(r"[a-z0-9]+", text.lower()))[:MAX_SLUG].strip("-")


def parse_price(text: str) -> int | None:
    """'4.25' -> 425, '4' -> 400, '4.5' -> 450; None for anything else (negative, '1e3')."""
    found = _PRICE.fullmatch(text.strip())
    if found is None:
        return None
    return int(found.group(1)) * 100 + int((found.group(2) or "0").ljust(2, "0"))


def clean_line(text: str) -> str:
    """One line of plain text: control characters out, whitespace trimmed."""
    return _CONTROL.sub("", text).strip()


def check_text(errors: dict[str, str], key: str, label: str, text: str, limit: int) -> str:
    value = clean_line(text)
    if len(value) > limit:
        errors[key] = f"{label} is {len(value):,} characters; at most {limit:,}."
    return value


def read_slug(errors: dict[str, str], key: str, text: str, fallback: str) -> str:
    slug = clean_line(text) or slugify(fallback)
    if not slug:
        errors.setdefault(key, "Give a slug: lower-case letters, digits and hyphens.")
    elif len(slug) > MAX_SLUG or not SLUG.fullmatch(slug):
        errors[key] = "The slug may have only lower-case letters, digits and single hyphens."
    return slug


def _whole(errors: dict[str, str], key: str, label: str, text: str, low: int) -> int | None:
    text = text.strip()
    if text == "":
        return None
    if not _WHOLE.fullmatch(text) or not low <= int(text) <= MAX_STOCK:
        errors[key] = f"{label} must be a whole number from {low} to {MAX_STOCK:,}."
        return None
    return int(text)


def read_variant(fields: Mapping[str, str], prefix: str, label: str) -> tuple[NewVariant, dict]:
    """The variant in `fields` (keys `<prefix>name`, `<prefix>price`, ...) and its errors."""
    errors: dict[str, str] = {}
    name = check_text(
        errors, f"{prefix}name", f"{label} name", fields.get(f"{prefix}name", ""), MAX_VARIANT_NAME
    )
    if not name and f"{prefix}name" not in errors:
        errors[f"{prefix}name"] = f"{label}: give it a name, such as “500 g” or “Standard”."
    raw_price = fields.get(f"{prefix}price", "")
    price = parse_price(raw_price)
    if price is None:
        errors[f"{prefix}price"] = (
            f"{label} price must be a number like 4.25 (not negative, at most two decimals)."
        )
    sku = check_text(
        errors, f"{prefix}sku", f"{label} SKU", fields.get(f"{prefix}sku", ""), MAX_SKU
    )
    made = fields.get(f"{prefix}made_to_order", "").strip().lower()
    if made not in _TRUE | _FALSE:
        errors[f"{prefix}made_to_order"] = f"{label} made to order must be yes or no."
    stock = _whole(errors, f"{prefix}stock", f"{label} stock", fields.get(f"{prefix}stock", ""), 0)
    quantity = _whole(
        errors,
        f"{prefix}measure_quantity",
        f"{label} quantity",
        fields.get(f"{prefix}measure_quantity", ""),
        1,
    )
    unit = fields.get(f"{prefix}measure_unit", "").strip() or None
    if unit is not None and unit not in MEASURE_UNITS:
        errors[f"{prefix}measure_unit"] = f"{label} unit must be one of {', '.join(MEASURE_UNITS)}."
    elif (quantity is None) != (unit is None) and f"{prefix}measure_quantity" not in errors:
        errors[f"{prefix}measure_quantity"] = (
            f"{label}: give both a quantity and its unit (g, ml or item), or neither."
        )
    variant = NewVariant(
        name=name,
        price_minor=price or 0,
        sku=sku or None,
        stock=None if made in _TRUE else stock,
        made_to_order=made in _TRUE,
        measure_quantity=quantity if unit else None,
        measure_unit=unit if quantity else None,
    )
    return variant, errors


def read_product(
    fields: Mapping[str, str], variants: list[NewVariant], *, currency: str = "GBP"
) -> tuple[NewProduct, dict[str, str]]:
    """The product in `fields` (title, slug, description, category) with `variants`."""
    errors: dict[str, str] = {}
    title = check_text(errors, "title", "The title", fields.get("title", ""), MAX_TITLE)
    if not title and "title" not in errors:
        errors["title"] = "Give the product a title."
    slug = read_slug(errors, "slug", fields.get("slug", ""), title[:MAX_SLUG])
    description = fields.get("description", "")
    if len(description) > MAX_DESCRIPTION:
        errors["description"] = (
            f"The description is {len(description):,} characters; at most {MAX_DESCRIPTION:,}."
        )
        description = ""
    if not variants:
        errors.setdefault("variant-0-name", "Add at least one variant with a price.")
    if len(variants) > MAX_VARIANTS:
        errors["variants"] = f"At most {MAX_VARIANTS} variants."
    skus = [v.sku for v in variants if v.sku]
    if len(skus) != len(set(skus)):
        errors["variants"] = "Each variant's SKU must be different."
    product = NewProduct(
        title=title,
        slug=slug,
        description=sanitize_html(_CONTROL.sub("", description)),
        category_slug=clean_line(fields.get("category", "")) or None,
        currency=currency,
        variants=tuple(variants),
        source_url=clean_line(fields.get("source_url", "")) or None,
    )
    return product, errors


def read_product_form(form: Mapping[str, str]) -> tuple[NewProduct, dict[str, str]]:
    """The product form: fields `title` ... and `variant-<n>-<field>` for n = 0, 1, ..."""
    variants: list[NewVariant] = []
    errors: dict[str, str] = {}
    for index in range(MAX_VARIANTS):
        prefix = f"variant-{index}-"
        filled = [
            key
            for key in form
            if key.startswith(prefix) and form[key].strip() and not key.endswith("made_to_order")
        ]
        if not filled:
            continue
        variant, problems = read_variant(form, prefix, f"Variant {len(variants) + 1}")
        variants.append(variant)
        errors.update(problems)
    currency = form.get("currency", "").strip().upper() or "GBP"
    if not re.fullmatch(r"[A-Z]{3}", currency):
        errors["currency"] = "The currency is a three-letter code such as GBP or EUR."
        currency = "GBP"
    product, problems = read_product(form, variants, currency=currency)
    return product, problems | errors
