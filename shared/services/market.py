"""Market: listed products and stalls, and listing a product (which records ProductListed)."""

from __future__ import annotations

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts.dtos import ProductSummary, StallSummary
from shared.contracts.events import ProductListed, record
from shared.contracts.money import Money
from shared.models.market import Product, ProductStatus, Stall
from shared.services.federating import fresh


def product_summary(product: Product) -> ProductSummary:
    image = product.images[0] if product.images else None
    return ProductSummary(
        id=product.id,
        slug=product.slug,
        title=product.title,
        price=Money(product.price_minor, product.currency),
        stall_slug=product.stall.slug,
        stall_name=product.stall.name,
        image_url=image.url if image else None,
        image_alt=(image.alt or product.title) if image else product.title,
        in_stock=product.stock is None or product.stock > 0,
    )


class SqlMarketService:
    async def list_listed_products(
        self, session: AsyncSession, *, limit: int = 24
    ) -> list[ProductSummary]:
        products = await session.scalars(
            select(Product)
            .where(Product.status == ProductStatus.LISTED)
            .order_by(Product.created_at.desc(), Product.id.desc())
            .limit(limit)
        )
        return [product_summary(product) for product in products.unique()]

    async def list_stalls(self, session: AsyncSession) -> list[StallSummary]:
        listed = func.count(Product.id)
        rows = await session.execute(
            select(Stall, listed)
            .outerjoin(
                Product, and_(Product.stall_id == Stall.id, Product.status == ProductStatus.LISTED)
            )
            .group_by(Stall.id)
            .order_by(Stall.name)
        )
        return [
            StallSummary(
                id=stall.id,
                slug=stall.slug,
                name=stall.name,
                description=stall.description,
                product_count=count,
                image_url=stall.image_url,
                image_alt=stall.image_alt,
            )
            for stall, count in rows
        ]

    async def list_product(self, session: AsyncSession, product_id: int) -> ProductSummary | None:
        product = await fresh(session, Product, product_id)
        if product is None:
            return None
        product.status = ProductStatus.LISTED
        await session.flush()
        record(session, ProductListed(product.id))
        return product_summary(product)
