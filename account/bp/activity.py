"""The member's orders, tickets and bookings as they see them, read through the cart and
events services (never their tables, never HTTP). Every object is looked up with the
member's id: someone else's order or booking is a 404, as if it did not exist."""

from datetime import UTC, datetime

from quart import Blueprint, Response, abort, current_app, redirect, render_template

from shared.contracts.cart import OrderNotFound, OrderStateError
from shared.infrastructure.oauth import login_required
from shared.infrastructure.runtime import request_session, runtime, unit_of_work
from shared.infrastructure.viewer import current_viewer
from shared.services.registry import services

bp = Blueprint("activity", __name__)
NOT_YOURS = "There is no such order among yours."


def _member_id() -> int:
    member = current_viewer()
    assert member is not None  # login_required
    return member.id


@bp.get("/orders/")
@login_required
async def get_orders() -> str:
    orders = await services.cart.list_member_orders(request_session(current_app), _member_id())
    return await render_template("account/activity/orders.html", orders=orders)


@bp.get("/orders/<int:order_id>")
@login_required
async def get_order(order_id: int) -> str:
    order = await services.cart.get_member_order(
        request_session(current_app), _member_id(), order_id
    )
    if order is None:
        abort(404, description=NOT_YOURS)
    return await render_template("account/activity/order.html", order=order)


@bp.post("/orders/<int:order_id>/cancel")
@login_required
async def post_cancel_order(order_id: int) -> Response:
    try:
        async with unit_of_work(current_app) as uow:
            await services.cart.cancel_member_order(uow.session, _member_id(), order_id)
    except OrderNotFound:
        abort(404, description=NOT_YOURS)
    except OrderStateError as exc:
        abort(409, description=str(exc))
    return redirect(f"/orders/{order_id}", 303)


@bp.get("/tickets/")
@login_required
async def get_tickets() -> str:
    tickets = await services.events.list_member_tickets(
        request_session(current_app), _member_id(), now=datetime.now(UTC)
    )
    return await render_template("account/activity/tickets.html", tickets=tickets)


@bp.get("/bookings/")
@login_required
async def get_bookings() -> str:
    bookings = await services.events.list_member_bookings(
        request_session(current_app), _member_id(), now=datetime.now(UTC)
    )
    return await render_template("account/activity/bookings.html", bookings=bookings)


@bp.post("/bookings/<int:booking_id>/cancel")
@login_required
async def post_cancel_booking(booking_id: int) -> Response:
    # A freed seat's mail links to the events app, where the booking lives.
    events_url = runtime(current_app).settings.apps["events"].base_url.rstrip("/")
    async with unit_of_work(current_app) as uow:
        cancelled = await services.events.cancel_member_booking(
            uow.session, _member_id(), booking_id, base_url=events_url
        )
    if cancelled is None:
        abort(404, description="There is no such booking among yours.")
    return redirect("/bookings/?cancelled=1", 303)
