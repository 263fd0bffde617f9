"""Market pages an admin composes: text, a chosen set of stalls and products."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts.market import MarketError, MarketPageRecord
from shared.infrastructure.html import sanitize_html
from shared.models.market import MarketPage, MarketPageProduct, MarketPageStall, Product, Stall
from shared.services.market.drafts import check_text, read_slug

MAX_HTML = 50_000


class SqlMarketPages:
    async def save_market_page(
        self,
        session: AsyncSession,
        page_id: int | None,
        *,
        title: str,
        slug: str,
        html: str,
        is_published: bool,
        stall_slugs: list[str],
        product_refs: list[str],
    ) -> MarketPageRecord:
        """Create (page_id None) or replace a page. `product_refs` are "stall/product"."""
        errors: dict[str, str] = {}
        title = check_text(errors, "title", "The title", title, 255)
        if not title and "title" not in errors:
            errors["title"] = "Give the page a title."
        slug = read_slug(errors, "slug", slug, title[:100])
        if len(html) > MAX_HTML:
            errors["html"] = f"The text is at most {MAX_HTML:,} characters."
        stall_ids: list[int] = []
        for ref in (s.strip() for s in stall_slugs if s.strip()):
            found = await session.scalar(select(Stall.id).where(Stall.slug == ref[:100]))
            if found is None:
                errors["stalls"] = f"There is no stall “{ref[:100]}”."
            elif found not in stall_ids:
                stall_ids.append(found)
        product_ids: list[int] = []
        for ref in (p.strip() for p in product_refs if p.strip()):
            stall_slug, _, product_slug = ref.partition("/")
            found = await session.scalar(
                select(Product.id)
                .join(Stall, Stall.id == Product.stall_id)
                .where(Stall.slug == stall_slug[:100], Product.slug == product_slug[:150])
            )
            if found is None:
                errors["products"] = f"There is no product “{ref[:200]}” (write stall/product)."
            elif found not in product_ids:
                product_ids.append(found)
        taken = await session.scalar(select(MarketPage.id).where(MarketPage.slug == slug))
        if taken is not None and taken != page_id:
            errors["slug"] = f"The address /pages/{slug}/ is taken."
        if errors:
            raise MarketError(errors)
        page = await session.get(MarketPage, page_id) if page_id else MarketPage()
        if page is None:
            raise MarketError({"page": "There is no such page."})
        page.title, page.slug, page.html = title, slug, sanitize_html(html)
        page.is_published = is_published
        session.add(page)
        await session.flush()
        await session.execute(delete(MarketPageStall).where(MarketPageStall.page_id == page.id))
        await session.execute(delete(MarketPageProduct).where(MarketPageProduct.page_id == page.id))
        session.add_all(
            MarketPageStall(page_id=page.id, stall_id=s, position=i)
            for i, s in enumerate(stall_ids)
        )
        session.add_all(
            MarketPageProduct(page_id=page.id, product_id=p, position=i)
            for i, p in enumerate(product_ids)
        )
        await session.flush()
        return await self._page_record(session, page)

    async def get_market_page(self, session: AsyncSession, slug: str) -> MarketPageRecord | None:
        page = await session.scalar(select(MarketPage).where(MarketPage.slug == slug))
        return None if page is None else await self._page_record(session, page)

    async def get_market_page_by_id(
        self, session: AsyncSession, page_id: int
    ) -> MarketPageRecord | None:
        page = await session.get(MarketPage, page_id)
        return None if page is None else await self._page_record(session, page)

    async def list_market_pages(
        self, session: AsyncSession, *, published_only: bool = True
    ) -> list[MarketPageRecord]:
        query = select(MarketPage).order_by(MarketPage.title)
        if published_only:
            query = query.where(MarketPage.is_published.is_(True))
        return [await self._page_record(session, page) for page in await session.scalars(query)]

    async def _page_record(self, session: AsyncSession, page: MarketPage) -> MarketPageRecord:
        stalls = await session.scalars(
            select(Stall.slug)
            .join(MarketPageStall, MarketPageStall.stall_id == Stall.id)
            .where(MarketPageStall.page_id == page.id)
            .order_by(MarketPageStall.position)
        )
        products = await session.scalars(
            select(MarketPageProduct.product_id)
            .where(MarketPageProduct.page_id == page.id)
            .order_by(MarketPageProduct.position)
        )
        return MarketPageRecord(
            id=page.id,
            slug=page.slug,
            title=page.title,
            html=page.html,
            is_published=page.is_published,
            stall_slugs=tuple(stalls),
            product_ids=tuple(products),
        )
