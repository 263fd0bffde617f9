"""Checkout: contact details, a fulfilment choice per stall, notes; placing the order
holds the stock and leads to the review page, where the buyer pays."""

from quart import Blueprint, Response, abort, current_app, redirect, render_template, request

from cart.payments import order_path, owner, settings
from shared.contracts.cart import CheckoutError, Contact, FulfilmentChoice
from shared.contracts.errors import CartItemUnavailable
from shared.infrastructure.runtime import request_session, unit_of_work
from shared.infrastructure.viewer import current_viewer
from shared.services.cart.checkout import AlreadyPlaced, new_attempt, place_order
from shared.services.cart.mails import queue_mail
from shared.services.cart.page import cart_page
from shared.services.market.unit_prices import cart_line_unit_prices

bp = Blueprint("checkout", __name__)


async def _form_page(
    errors: dict[str, str], values: dict[str, str], status: int = 200
) -> tuple[str, int]:
    session = request_session(current_app)
    page = await cart_page(session, owner())
    per_unit = await cart_line_unit_prices(
        session, (line.id for group in page.groups for line in group.lines)
    )
    viewer = current_viewer()
    if viewer is not None and "email" not in values:
        values = {"email": viewer.email, "name": viewer.display_name or viewer.username, **values}
    # A form shown again after an error keeps its attempt: nothing was placed from it.
    values = {**values, "attempt": values.get("attempt") or new_attempt()}
    html = await render_template(
        "cart/checkout/form.html", page=page, errors=errors, values=values, per_unit=per_unit
    )
    return html, status


@bp.get("/checkout")
async def get_checkout() -> tuple[str, int] | Response:
    page = await cart_page(request_session(current_app), owner())
    if page.is_empty:
        return redirect("/", 303)
    return await _form_page({}, {})


@bp.post("/checkout")
async def post_checkout() -> tuple[str, int] | Response:
    form = await request.form
    values = {name: str(value) for name, value in form.items() if name != "csrf_token"}
    page = await cart_page(request_session(current_app), owner())
    if page.is_empty:
        abort(409, description="Your cart is empty: there is nothing to check out.")
    choices = {}
    for group in page.groups:
        if group.stall_id is not None:
            choices[group.stall_id] = FulfilmentChoice(
                group.stall_id,
                form.get(f"method_{group.stall_id}", ""),
                form.get(f"address_{group.stall_id}", ""),
            )
    contact = Contact(
        email=form.get("email", ""), name=form.get("name", ""), phone=form.get("phone", "")
    )
    try:
        async with unit_of_work(current_app) as uow:
            order = await place_order(
                uow.session,
                owner=owner(),
                contact=contact,
                choices=choices,
                notes=form.get("notes", ""),
                hold_minutes=settings().cart.hold_minutes,
                attempt=form.get("attempt"),
            )
            await queue_mail(uow.session, settings(), order, "order_received")
    except AlreadyPlaced as placed:  # this form was sent before: its order, not a new one
        return redirect(order_path(placed.order), 303)
    except CheckoutError as exc:
        return await _form_page({exc.field: exc.message}, values, 400)
    except CartItemUnavailable as exc:
        return await _form_page({"cart": str(exc)}, values, 409)
    return redirect(order_path(order), 303)
