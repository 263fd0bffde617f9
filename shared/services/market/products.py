"""Products: create, edit (variants kept by position, so carts keep theirs), list, archive.

Listing records ProductListed, an edit of a product on sale ProductUpdated, archiving
ProductArchived; their handlers (market_federation.py) federate Create, Update, Delete.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from shared.contracts.dtos import ProductSummary
from shared.contracts.events import ProductArchived, ProductListed, ProductUpdated, record
from shared.contracts.market import CategoryRecord, MarketError, NewProduct, ProductRecord
from shared.models.market import (
    Category,
    Product,
    ProductImage,
    ProductStatus,
    ProductVariant,
    Stall,
    StallStatus,
)
from shared.services.market.records import product_record, product_summary

PUBLIC = (ProductStatus.LISTED, ProductStatus.SOLD_OUT)
MAX_IMAGES = 8


async def _reloaded(session: AsyncSession, product_id: int) -> Product | None:
    # The triggers on product_variants change status and price_minor behind the ORM.
    return await session.scalar(
        select(Product)
        .where(Product.id == product_id)
        .options(joinedload(Product.category))
        .execution_options(populate_existing=True)
    )


async def _category_id(session: AsyncSession, slug: str | None) -> int | None:
    if slug is None:
        return None
    found = await session.scalar(select(Category.id).where(Category.slug == slug))
    if found is None:
        raise MarketError({"category": f"There is no category “{slug[:100]}”."})
    return found


def _apply_variants(product: Product, draft: NewProduct) -> None:
    existing = list(product.variants)
    for position, new in enumerate(draft.variants):
        variant = existing[position] if position < len(existing) else ProductVariant()
        variant.name, variant.sku, variant.price_minor = new.name, new.sku, new.price_minor
        variant.stock, variant.made_to_order = new.stock, new.made_to_order
        variant.measure_quantity, variant.measure_unit = new.measure_quantity, new.measure_unit
        variant.position = position
        if position >= len(existing):
            product.variants.append(variant)
    for variant in existing[len(draft.variants) :]:
        product.variants.remove(variant)


class SqlProducts:
    async def create_product(
        self, session: AsyncSession, stall_id: int, draft: NewProduct
    ) -> ProductRecord:
        category_id = await _category_id(session, draft.category_slug)
        taken = await session.scalar(
            select(Product.id).where(Product.stall_id == stall_id, Product.slug == draft.slug)
        )
        if taken:
            raise MarketError({"slug": f"This stall already has a product at “{draft.slug}”."})
        product = Product(
            stall_id=stall_id,
            category_id=category_id,
            slug=draft.slug,
            title=draft.title,
            description=draft.description,
            currency=draft.currency,
            status=ProductStatus.DRAFT,
            source_url=draft.source_url,
            price_minor=min((v.price_minor for v in draft.variants), default=0),
            variants=[],
            images=[ProductImage(url=url, position=i) for i, url in enumerate(draft.image_urls)],
        )
        _apply_variants(product, draft)
        session.add(product)
        try:
            async with session.begin_nested():
                await session.flush()
        except IntegrityError:
            raise MarketError({"slug": "That slug or a variant's SKU is already in use."}) from None
        return await self._record(session, product.id)

    async def update_product(
        self, session: AsyncSession, product_id: int, draft: NewProduct
    ) -> ProductRecord | None:
        product = await _reloaded(session, product_id)
        if product is None:
            return None
        category_id = await _category_id(session, draft.category_slug)
        if draft.slug != product.slug and await session.scalar(
            select(Product.id).where(
                Product.stall_id == product.stall_id, Product.slug == draft.slug
            )
        ):
            raise MarketError({"slug": f"This stall already has a product at “{draft.slug}”."})
        product.title, product.slug = draft.title, draft.slug
        product.description, product.category_id = draft.description, category_id
        product.currency = draft.currency
        _apply_variants(product, draft)
        try:
            async with session.begin_nested():
                await session.flush()
        except IntegrityError:
            raise MarketError({"variants": "Each variant's SKU must be different."}) from None
        if product.status in PUBLIC:
            record(session, ProductUpdated(product.id))
        return await self._record(session, product.id)

    async def set_product_status(
        self, session: AsyncSession, product_id: int, status: str
    ) -> ProductRecord | None:
        product = await _reloaded(session, product_id)
        if product is None:
            return None
        if status == ProductStatus.LISTED:
            stall_status = await session.scalar(
                select(Stall.status).where(Stall.id == product.stall_id)
            )
            if stall_status != StallStatus.APPROVED:
                raise MarketError({"status": "The stall must be approved before it can list."})
            if not product.variants:
                raise MarketError({"status": "Add a variant with a price before listing."})
        was = product.status
        product.status = status
        await session.flush()
        if status == ProductStatus.LISTED and was not in PUBLIC:
            record(session, ProductListed(product.id))
        elif status == ProductStatus.ARCHIVED and was != ProductStatus.ARCHIVED:
            record(session, ProductArchived(product.id))
        return await self._record(session, product.id)

    async def add_product_image(
        self, session: AsyncSession, product_id: int, url: str, alt: str
    ) -> None:
        product = await _reloaded(session, product_id)
        if product is None:
            return
        if len(product.images) >= MAX_IMAGES:
            raise MarketError({"image": f"A product has at most {MAX_IMAGES} photos."})
        product.images.append(ProductImage(url=url, alt=alt[:300], position=len(product.images)))
        await session.flush()
        if product.status in PUBLIC:
            record(session, ProductUpdated(product.id))

    async def get_product(
        self, session: AsyncSession, stall_slug: str, product_slug: str
    ) -> ProductRecord | None:
        found = await session.scalar(
            select(Product.id)
            .join(Stall, Stall.id == Product.stall_id)
            .where(Stall.slug == stall_slug, Product.slug == product_slug)
        )
        return None if found is None else await self._record(session, found)

    async def list_stall_products(
        self, session: AsyncSession, stall_id: int, *, public_only: bool = True
    ) -> list[ProductSummary]:
        query = select(Product).where(Product.stall_id == stall_id)
        if public_only:
            query = query.where(Product.status.in_(PUBLIC))
        products = await session.scalars(query.order_by(Product.title, Product.id))
        return [product_summary(product) for product in products.unique()]

    async def list_stall_product_records(
        self, session: AsyncSession, stall_id: int
    ) -> list[ProductRecord]:
        ids = await session.scalars(
            select(Product.id).where(Product.stall_id == stall_id).order_by(Product.slug)
        )
        return [await self._record(session, pid) for pid in list(ids)]

    async def list_categories(self, session: AsyncSession) -> list[CategoryRecord]:
        rows = list(await session.scalars(select(Category).order_by(Category.name)))
        by_id = {c.id: c for c in rows}
        children: dict[int | None, list[Category]] = {}
        for category in rows:
            children.setdefault(category.parent_id, []).append(category)
        ordered: list[CategoryRecord] = []

        def walk(parent: int | None, depth: int) -> None:
            for category in children.get(parent, []):
                parent_row = by_id.get(category.parent_id) if category.parent_id else None
                ordered.append(
                    CategoryRecord(
                        category.id,
                        category.slug,
                        category.name,
                        parent_row.slug if parent_row else None,
                        depth,
                    )
                )
                if depth < 8:
                    walk(category.id, depth + 1)

        walk(None, 0)
        return ordered

    async def _record(self, session: AsyncSession, product_id: int) -> ProductRecord:
        product = await _reloaded(session, product_id)
        assert product is not None
        category = (product.category.slug, product.category.name) if product.category else None
        return product_record(product, category)
