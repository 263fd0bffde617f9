"""Stock holds: units kept for a pending order until they expire (pretix's time-limited quotas).

What a variant has left for a new buyer is its stock less the unexpired holds of
other orders. Placing an order locks the variant rows it holds (in id order, so two
checkouts never deadlock) and counts again under that lock: concurrent checkouts for
the last units queue on the row, and only as many as there are units get a hold.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.models.cart import StockHold
from shared.models.market import ProductVariant


def now() -> datetime:
    return datetime.now(UTC)


async def held(
    session: AsyncSession, variant_ids: Iterable[int], *, except_order: int | None = None
) -> dict[int, int]:
    """Units under an unexpired hold, per variant (holds of `except_order` not counted)."""
    ids = list(set(variant_ids))
    if not ids:
        return {}
    query = (
        select(StockHold.variant_id, func.sum(StockHold.quantity))
        .where(StockHold.variant_id.in_(ids), StockHold.expires_at > now())
        .group_by(StockHold.variant_id)
    )
    if except_order is not None:
        query = query.where(StockHold.order_id != except_order)
    rows = await session.execute(query)
    return {variant: int(total) for variant, total in rows if variant is not None}


def left(variant: ProductVariant, holds: dict[int, int]) -> int | None:
    """What a new buyer can have of `variant`; None when it is not counted."""
    if variant.made_to_order or variant.stock is None:
        return None
    return max(variant.stock - holds.get(variant.id, 0), 0)


async def lock_variants(
    session: AsyncSession, variant_ids: Iterable[int]
) -> dict[int, ProductVariant]:
    rows = await session.scalars(
        select(ProductVariant)
        .where(ProductVariant.id.in_(sorted(set(variant_ids))))
        .order_by(ProductVariant.id)
        .with_for_update()
    )
    return {variant.id: variant for variant in rows}
