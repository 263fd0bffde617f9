"""The buyer's orders: the order page (review and Pay while unpaid), the return from
SumUp, the member's list, and the EU withdrawal button."""

from quart import Blueprint, Response, abort, current_app, redirect, render_template, request
from sqlalchemy import select

from cart.payments import end_reads, order_path, payment_urls, settings, sumup, units
from shared.contracts.cart import OrderNotFound, OrderStateError, PaymentUnavailable
from shared.contracts.errors import CartItemUnavailable
from shared.infrastructure.runtime import request_session, unit_of_work
from shared.infrastructure.sumup import SumUpUnavailable
from shared.infrastructure.viewer import current_viewer
from shared.models.cart import Order, OrderStatus, PaymentStatus
from shared.models.market import Stall
from shared.services.cart.orders import (
    can_withdraw,
    member_orders,
    order_for_viewer,
    payments_of,
    withdraw,
    withdrawal_deadline,
)
from shared.services.cart.payments import settle, start_payment
from shared.services.market.unit_prices import order_line_unit_prices

bp = Blueprint("orders", __name__)


async def _order(number: str, token: str | None) -> Order:
    viewer = current_viewer()
    try:
        return await order_for_viewer(
            request_session(current_app),
            number,
            user_id=viewer.id if viewer else None,
            token=token,
            is_admin=bool(viewer and viewer.is_admin),
        )
    except OrderNotFound as exc:
        abort(404, description=str(exc))


@bp.get("/orders")
async def get_orders() -> str:
    viewer = current_viewer()
    if viewer is None:
        abort(401, description="Sign in to see your orders; a guest's order is linked in its mail.")
    orders = await member_orders(request_session(current_app), viewer.id)
    return await render_template("cart/orders/index.html", orders=orders)


@bp.get("/orders/<number>")
async def get_order(number: str) -> str:
    order = await _order(number, request.args.get("t"))
    payments = await payments_of(request_session(current_app), order.id)
    failed = bool(payments) and payments[-1].status == PaymentStatus.FAILED
    stall_ids = [f.stall_id for f in order.fulfilments if f.stall_id is not None]
    names = await request_session(current_app).execute(
        select(Stall.id, Stall.name).where(Stall.id.in_(stall_ids))
    )
    per_unit = await order_line_unit_prices(
        request_session(current_app), order.lines, order.currency
    )
    return await render_template(
        "cart/orders/show.html",
        order=order,
        per_unit=per_unit,
        stall_names={stall_id: name for stall_id, name in names},
        token=order.access_token,
        payment_failed=failed and order.status == OrderStatus.PENDING_PAYMENT,
        can_withdraw=can_withdraw(order),
        withdrawal_deadline=withdrawal_deadline(order),
        notice=request.args.get("notice", ""),
    )


@bp.post("/orders/<number>/pay")
async def post_pay(number: str) -> tuple[str, int]:
    form = await request.form
    order = await _order(number, form.get("t"))
    # The amount shown on the review page comes back with the form: a changed one is refused.
    if form.get("amount_minor") != str(order.total_minor):
        abort(400, description="The amount does not match the order: reload the order page.")
    await end_reads()
    try:
        async with sumup() as client:
            url = await start_payment(units, client, settings(), order.id, payment_urls(order))
    except OrderStateError as exc:
        abort(409, description=str(exc))
    except CartItemUnavailable as exc:
        abort(409, description=f"{exc} Your order could not be kept: change your cart.")
    except PaymentUnavailable as exc:
        html = await render_template("cart/orders/unavailable.html", order=order, message=str(exc))
        return html, 503
    # Not a redirect: our CSP's form-action keeps a form's redirects on our own origins,
    # and SumUp's hosted page is not one; a page that moves on by itself is allowed.
    return await render_template("cart/orders/to_sumup.html", order=order, url=url), 200


@bp.get("/orders/<number>/return")
async def get_return(number: str) -> Response:
    """Where SumUp sends the buyer back: what the checkout says is refetched, never assumed."""
    order = await _order(number, request.args.get("t"))
    payments = await payments_of(request_session(current_app), order.id)
    notice = ""
    await end_reads()
    if payments and payments[-1].checkout_id:
        try:
            async with sumup() as client:
                await settle(units, client, settings(), payments[-1].checkout_id, source="return")
        except SumUpUnavailable:
            notice = "checking"
    path = order_path(order)
    return redirect(path + (f"&notice={notice}" if notice else ""), 303)


@bp.post("/orders/<number>/withdraw")
async def post_withdraw(number: str) -> Response:
    form = await request.form
    order = await _order(number, form.get("t"))
    try:
        async with unit_of_work(current_app) as uow:
            await withdraw(uow.session, settings(), order.id)
    except OrderStateError as exc:
        abort(409, description=str(exc))
    return redirect(order_path(order) + "&notice=withdrawn", 303)
