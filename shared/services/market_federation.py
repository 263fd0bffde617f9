"""How the market federates: a listed product is a Note from the market's actor, once.

A Note, not an Article: Mastodon shows a Note's content, and a listing is
short. The market links products at `/stalls/<stall>/<product>/` (market/home,
macros.product_card).
"""

from __future__ import annotations

import html as html_lib
from datetime import UTC, datetime

from shared.contracts.dtos import FederatedObject
from shared.contracts.events import EventContext, ProductArchived, ProductListed, ProductUpdated
from shared.contracts.money import Money, format_money
from shared.models.market import Product, ProductStatus
from shared.services.federating import federation, fresh, plain_text
from shared.services.market.unit_prices import unit_price


def note_of(product: Product) -> FederatedObject:
    path = f"/stalls/{product.stall.slug}/{product.slug}/"
    cheapest = min(product.variants, key=lambda v: v.price_minor, default=None)
    lowest = cheapest.price_minor if cheapest else product.price_minor
    price = format_money(Money(lowest, product.currency))
    if len(product.variants) > 1:
        price = f"from {price}"
    if cheapest is not None:
        per = unit_price(
            Money(lowest, product.currency), cheapest.measure_quantity, cheapest.measure_unit
        )
        if per is not None:  # EU 98/6/EC: the unit price wherever a price is
            price += f" ({format_money(per.price)} per {per.per})"
    title, stall = html_lib.escape(product.title), html_lib.escape(product.stall.name)
    content = f"<p>New at {stall}: {title}, {price}</p>"
    if product.description:
        content += f"<p>{html_lib.escape(plain_text(product.description))}</p>"
    image = product.images[0].url if product.images else None
    return FederatedObject(
        app="market",
        key=f"products/{product.id}",
        type="Note",
        content_html=content,
        path=path,
        published_at=datetime.now(UTC),
        image_url=image,
    )


async def announce_listed_product(event: ProductListed, ctx: EventContext) -> None:
    """Announce a product the first time it is listed; listing it again says nothing."""
    product = await fresh(ctx.session, Product, event.product_id)
    if product is None or product.status != ProductStatus.LISTED:
        return
    if not await federation().is_published(ctx.session, "market", f"products/{product.id}"):
        await federation().publish(ctx.session, note_of(product), "Create")


async def federate_updated_product(event: ProductUpdated, ctx: EventContext) -> None:
    """An edit of a federated product that is still on sale sends an Update."""
    product = await fresh(ctx.session, Product, event.product_id)
    if product is None or product.status not in (ProductStatus.LISTED, ProductStatus.SOLD_OUT):
        return
    if await federation().is_published(ctx.session, "market", f"products/{product.id}"):
        await federation().publish(ctx.session, note_of(product), "Update")


async def federate_archived_product(event: ProductArchived, ctx: EventContext) -> None:
    """Archiving a federated product sends a Delete (a Tombstone stays at its id)."""
    product = await fresh(ctx.session, Product, event.product_id)
    if product is None:
        return
    if await federation().is_published(ctx.session, "market", f"products/{product.id}"):
        await federation().publish(ctx.session, note_of(product), "Delete")
