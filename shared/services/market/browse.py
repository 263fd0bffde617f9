"""Finding products: full-text search (PostgreSQL tsvector, GIN) with filters, sort, pages."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts.dtos import ProductSummary
from shared.contracts.market import ProductPage, ProductQuery
from shared.models.market import (
    Category,
    Product,
    ProductStatus,
    ProductVariant,
    Stall,
    StallStatus,
)
from shared.services.market.records import product_summary

SORTS = ("relevance", "newest", "price_asc", "price_desc")


def _on_show() -> Select[Product]:  # type: ignore[type-var]
    return (
        select(Product)
        .join(Stall, Stall.id == Product.stall_id)
        .where(
            Product.status.in_((ProductStatus.LISTED, ProductStatus.SOLD_OUT)),
            Stall.status == StallStatus.APPROVED,
        )
    )


async def _category_and_below(session: AsyncSession, slug: str) -> list[int]:
    top = select(Category.id).where(Category.slug == slug).cte("tree", recursive=True)
    tree = top.union_all(select(Category.id).where(Category.parent_id == top.c.id))
    return list(await session.scalars(select(tree.c.id)))


class SqlBrowse:
    async def list_listed_products(
        self, session: AsyncSession, *, limit: int = 24
    ) -> list[ProductSummary]:
        products = await session.scalars(
            _on_show().order_by(Product.created_at.desc(), Product.id.desc()).limit(limit)
        )
        return [product_summary(product) for product in products.unique()]

    async def search_products(self, session: AsyncSession, query: ProductQuery) -> ProductPage:
        statement = _on_show()
        text = query.text.strip()
        terms = func.websearch_to_tsquery("english", text)
        if text:
            # "bread" finds the sourdough filed under Bread (and "food" all that is under
            # Food), though neither word is in its title or description.
            named = (
                select(Category.id)
                .where(func.to_tsvector("english", Category.name).op("@@")(terms))
                .cte("named", recursive=True)
            )
            below = named.union_all(select(Category.id).where(Category.parent_id == named.c.id))
            statement = statement.where(
                or_(Product.search.op("@@")(terms), Product.category_id.in_(select(below.c.id)))
            )
        if query.category_slug:
            statement = statement.where(
                Product.category_id.in_(await _category_and_below(session, query.category_slug))
            )
        if query.stall_slug:
            statement = statement.where(Stall.slug == query.stall_slug)
        if query.in_stock:
            statement = statement.where(
                Product.status == ProductStatus.LISTED,
            )
        if query.min_price_minor is not None or query.max_price_minor is not None:
            priced = select(ProductVariant.id).where(ProductVariant.product_id == Product.id)
            if query.min_price_minor is not None:
                priced = priced.where(ProductVariant.price_minor >= query.min_price_minor)
            if query.max_price_minor is not None:
                priced = priced.where(ProductVariant.price_minor <= query.max_price_minor)
            statement = statement.where(exists(priced))
        total = await session.scalar(select(func.count()).select_from(statement.subquery())) or 0
        order: tuple[Any, ...] = {
            "newest": (Product.created_at.desc(),),
            "price_asc": (Product.price_minor.asc(),),
            "price_desc": (Product.price_minor.desc(),),
        }.get(query.sort, ())
        if query.sort == "relevance" and text:
            order = (func.ts_rank(Product.search, terms).desc(),)
        elif not order:
            order = (Product.created_at.desc(),)
        pages = max(1, -(-total // query.per_page))
        page = min(max(1, query.page), pages)
        products = await session.scalars(
            statement.order_by(*order, Product.id.desc())
            .offset((page - 1) * query.per_page)
            .limit(query.per_page)
        )
        found = [product_summary(product) for product in products.unique()]
        return ProductPage(found, total, page, pages)

    async def list_products_by_id(
        self, session: AsyncSession, product_ids: list[int]
    ) -> list[ProductSummary]:
        """The public ones of `product_ids`, in that order."""
        if not product_ids:
            return []
        found = {
            p.id: p
            for p in (await session.scalars(_on_show().where(Product.id.in_(product_ids)))).unique()
        }
        return [product_summary(found[i]) for i in product_ids if i in found]
