"""ORM rows of the market turned into the contract's frozen records."""

from __future__ import annotations

from shared.contracts.dtos import ProductSummary, StallSummary
from shared.contracts.market import ProductRecord, StallHelperRecord, StallRecord, VariantRecord
from shared.contracts.money import Money
from shared.models.market import Product, ProductStatus, ProductVariant, Stall
from shared.services.market.unit_prices import unit_price


def variant_record(variant: ProductVariant, currency: str) -> VariantRecord:
    price = Money(variant.price_minor, currency)
    return VariantRecord(
        id=variant.id,
        name=variant.name,
        sku=variant.sku,
        price=price,
        stock=variant.stock,
        made_to_order=variant.made_to_order,
        measure_quantity=variant.measure_quantity,
        measure_unit=variant.measure_unit,
        unit_price=unit_price(price, variant.measure_quantity, variant.measure_unit),
    )


def cheapest(product: Product) -> ProductVariant | None:
    return min(product.variants, key=lambda v: (v.price_minor, v.position), default=None)


def product_summary(product: Product) -> ProductSummary:
    image = product.images[0] if product.images else None
    first = cheapest(product)
    price = Money(first.price_minor if first else product.price_minor, product.currency)
    return ProductSummary(
        id=product.id,
        slug=product.slug,
        title=product.title,
        price=price,
        stall_slug=product.stall.slug,
        stall_name=product.stall.name,
        image_url=image.url if image else None,
        image_alt=(image.alt or product.title) if image else product.title,
        in_stock=product.status == ProductStatus.LISTED
        and any(variant_record(v, product.currency).available for v in product.variants),
        unit_price=unit_price(price, first.measure_quantity, first.measure_unit) if first else None,
        variant_count=len(product.variants),
    )


def product_record(product: Product, category: tuple[str, str] | None) -> ProductRecord:
    return ProductRecord(
        id=product.id,
        slug=product.slug,
        title=product.title,
        description_html=product.description,
        status=product.status,
        currency=product.currency,
        stall_id=product.stall_id,
        stall_slug=product.stall.slug,
        stall_name=product.stall.name,
        category_slug=category[0] if category else None,
        category_name=category[1] if category else None,
        image_urls=tuple(image.url for image in product.images),
        variants=tuple(variant_record(v, product.currency) for v in product.variants),
        source_url=product.source_url,
        updated_at=product.updated_at,
    )


def stall_summary(stall: Stall, product_count: int) -> StallSummary:
    return StallSummary(
        id=stall.id,
        slug=stall.slug,
        name=stall.name,
        description=stall.description,
        product_count=product_count,
        image_url=stall.image_url,
        image_alt=stall.image_alt,
    )


def stall_record(
    stall: Stall, owner_name: str, helpers: tuple[StallHelperRecord, ...]
) -> StallRecord:
    return StallRecord(
        id=stall.id,
        slug=stall.slug,
        name=stall.name,
        description=stall.description,
        story_html=stall.story,
        location=stall.location,
        pickup_details=stall.pickup_details,
        status=stall.status,
        owner_id=stall.owner_id,
        owner_name=owner_name,
        image_url=stall.image_url,
        image_alt=stall.image_alt,
        helpers=helpers,
    )
