"""A stall owner's page of lines to prepare, and the steps only they may take."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.dev.sumup import SumUpStandIn
from shared.infrastructure.config import Settings
from shared.infrastructure.sumup import SumUpClient
from shared.models.cart import OrderFulfilment
from shared.models.identity import User
from shared.models.market import Stall
from tests.conftest import AppFactory
from tests.services.cart.test_orders import paid_order
from tests.support.cart import Units
from tests.support.cart_web import cart_app, csrf, viewer_of
from tests.support.factories import make_user


async def test_the_owner_sees_and_marks_their_line_and_nobody_else_can(
    make_app: AppFactory,
    cart_settings: Settings,
    db: AsyncSession,
    units: Units,
    sumup: SumUpStandIn,
    sumup_client: SumUpClient,
) -> None:
    order = await paid_order(db, units, cart_settings, sumup, sumup_client)
    pickup = await db.scalar(
        select(OrderFulfilment).where(
            OrderFulfilment.order_id == order.id, OrderFulfilment.method == "pickup"
        )
    )
    assert pickup is not None
    baker = await db.scalar(
        select(User).join(Stall, Stall.owner_id == User.id).where(Stall.id == pickup.stall_id)
    )
    assert baker is not None
    app, who = await cart_app(make_app, cart_settings)
    client = app.test_client()

    who.viewer = viewer_of(await make_user(db))
    assert (await client.get("/stall-orders")).status_code == 403
    token = await csrf(client)
    refused = await client.post(
        f"/stall-orders/{pickup.id}", form={"csrf_token": token, "to": "ready"}
    )
    assert refused.status_code == 404

    who.viewer = viewer_of(baker)
    page = await (await client.get("/stall-orders")).get_data(as_text=True)
    assert order.number in page and "Sourdough" in page and "Mug" not in page
    assert "Mark ready for pickup" in page
    done = await client.post(
        f"/stall-orders/{pickup.id}", form={"csrf_token": token, "to": "ready"}
    )
    assert done.status_code == 303
    again = await client.post(
        f"/stall-orders/{pickup.id}", form={"csrf_token": token, "to": "ready"}
    )
    assert again.status_code == 409
    await db.refresh(pickup)
    assert pickup.status == "ready"
