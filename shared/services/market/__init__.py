"""The market: stalls, products with variants, browsing and search, market pages, imports.

`SqlMarketService` is the one implementation of `MarketService`, put together from
the domain's parts (one module each); routes reach it as `services.market`.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts.dtos import ProductSummary
from shared.contracts.market import ImportPreview, MarketError
from shared.models.market import Category, Product, ProductStatus
from shared.services.federating import fresh
from shared.services.market.browse import SqlBrowse
from shared.services.market.pages import SqlMarketPages
from shared.services.market.products import SqlProducts
from shared.services.market.records import product_summary
from shared.services.market.spreadsheets import (
    existing_product_ids,
    export_csv,
    preview_import,
)
from shared.services.market.stalls import SqlStalls

__all__ = ["SqlMarketService", "product_summary"]


class SqlMarketService(SqlStalls, SqlProducts, SqlBrowse, SqlMarketPages):
    async def list_product(self, session: AsyncSession, product_id: int) -> ProductSummary | None:
        if await fresh(session, Product, product_id) is None:
            return None
        await self.set_product_status(session, product_id, ProductStatus.LISTED)
        product = await fresh(session, Product, product_id)
        return None if product is None else product_summary(product)

    async def export_stall_csv(self, session: AsyncSession, stall_id: int) -> str:
        return export_csv(await self.list_stall_product_records(session, stall_id))

    async def import_stall_csv(
        self, session: AsyncSession, stall_id: int, text: str, *, dry_run: bool
    ) -> ImportPreview:
        known = set(await session.scalars(select(Category.slug)))
        preview, products = preview_import(text, known_categories=known)
        if dry_run or not preview.ok:
            return preview
        existing = await existing_product_ids(session, stall_id)
        for product in products:
            try:
                if product.slug in existing:
                    await self.update_product(session, existing[product.slug], product)
                else:
                    await self.create_product(session, stall_id, product)
            except MarketError as error:
                # The whole import is one transaction: the route's unit of work rolls it back.
                raise MarketError({f"{product.slug}: {error.field}": error.message}) from None
        return preview
