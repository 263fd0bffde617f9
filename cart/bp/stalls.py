"""A stall owner's lines to prepare: what each paid order wants from their stalls."""

from quart import Blueprint, Response, abort, current_app, redirect, render_template, request

from cart.payments import settings
from shared.contracts.cart import OrderNotFound, OrderStateError
from shared.infrastructure.runtime import request_session, unit_of_work
from shared.infrastructure.viewer import current_viewer
from shared.models.cart import FulfilmentStatus
from shared.services.cart.orders import advance_fulfilment, owned_stalls, stall_work

bp = Blueprint("stalls", __name__)


@bp.get("/stall-orders")
async def get_stall_orders() -> str:
    viewer = current_viewer()
    if viewer is None:
        abort(401, description="Sign in to see your stalls' orders.")
    session = request_session(current_app)
    stalls = await owned_stalls(session, viewer.id)
    if not stalls:
        abort(403, description="You have no stall in the market.")
    work = await stall_work(session, viewer.id)
    return await render_template("cart/stalls/orders.html", stalls=stalls, work=work)


@bp.post("/stall-orders/<int:fulfilment_id>")
async def post_stall_order(fulfilment_id: int) -> Response:
    viewer = current_viewer()
    if viewer is None:
        abort(401, description="Sign in to see your stalls' orders.")
    step = (await request.form).get("to", "")
    if step not in tuple(FulfilmentStatus) or step == FulfilmentStatus.TO_PREPARE:
        abort(400, description="Mark it ready, collected or delivered.")
    try:
        async with unit_of_work(current_app) as uow:
            await advance_fulfilment(
                uow.session, settings(), fulfilment_id, user_id=viewer.id, to=step
            )
    except OrderNotFound as exc:
        abort(404, description=str(exc))
    except OrderStateError as exc:
        abort(409, description=str(exc))
    return redirect("/stall-orders", 303)
