"""Staff's view of every order, and refunds (a line, an amount, or all that is left)."""

import secrets

from quart import Blueprint, Response, abort, current_app, redirect, render_template, request

from cart.payments import end_reads, settings, sumup, units
from shared.contracts.cart import OrderNotFound, OrderStateError, PaymentUnavailable
from shared.infrastructure.params import whole_number
from shared.infrastructure.runtime import request_session
from shared.infrastructure.viewer import current_viewer
from shared.models.cart import ORDER_STATUSES, Order
from shared.services.cart.orders import all_orders, payments_of, refund, refunds_of

bp = Blueprint("admin", __name__, url_prefix="/admin")


def _staff() -> int:
    viewer = current_viewer()
    if viewer is None:
        abort(401, description="Sign in as staff to see all orders.")
    if not viewer.is_admin:
        abort(403, description="Only staff see all orders.")
    return viewer.id


async def _order(number: str) -> Order:
    from sqlalchemy import select

    order = await request_session(current_app).scalar(select(Order).where(Order.number == number))
    if order is None:
        abort(404, description="No such order.")
    return order


@bp.get("/orders")
async def get_orders() -> str:
    _staff()
    status = request.args.get("status") or None
    if status is not None and status not in ORDER_STATUSES:
        abort(400, description="Unknown order status.")
    orders = await all_orders(request_session(current_app), status)
    return await render_template(
        "cart/admin/orders.html", orders=orders, statuses=ORDER_STATUSES, status=status
    )


@bp.get("/orders/<number>")
async def get_order(number: str) -> str:
    _staff()
    order = await _order(number)
    session = request_session(current_app)
    return await render_template(
        "cart/admin/order.html",
        order=order,
        payments=await payments_of(session, order.id),
        refunds=await refunds_of(session, order.id),
        refund_key=secrets.token_urlsafe(16),
    )


@bp.post("/orders/<number>/refunds")
async def post_refund(number: str) -> Response:
    staff_id = _staff()
    order = await _order(number)
    form = await request.form
    key = form.get("key", "")
    if not 8 <= len(key) <= 100:
        abort(400, description="The refund form is incomplete: reload the page.")
    line_id = whole_number(form.get("line_id"), "The line")
    amount = whole_number(form.get("amount_minor"), "The amount (in pence or cents)")
    await end_reads()
    try:
        async with sumup() as client:
            await refund(
                units,
                client,
                settings(),
                order.id,
                key=key,
                staff_id=staff_id,
                line_id=line_id,
                amount_minor=amount,
            )
    except OrderNotFound as exc:
        abort(404, description=str(exc))
    except OrderStateError as exc:
        abort(409, description=str(exc))
    except PaymentUnavailable as exc:
        abort(503, description=str(exc))
    return redirect(f"/admin/orders/{order.number}", 303)
