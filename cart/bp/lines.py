"""Putting things in the cart: `POST /lines`, from the market's and events' pages.

The form comes from other hosts (market.…, events.…), so it is checked by
origin instead of the CSRF token (shared.infrastructure.cross_app). Where our
apps share a site (*.rose-ash.com) that one click is all. Where they do not
(dev hosts under .localhost) the browser keeps our cookies off the POST, so
the visitor is sent to `GET /lines/new`, a page of the cart's own whose form
posts same-origin, cookies and CSRF token included.

An anonymous visitor gets a cart token in the `ra_cart` cookie, set for the
domain all the apps share so that every app's header shows the mini-cart.
"""

import re
import secrets
from urllib.parse import urlencode

from quart import Blueprint, Response, abort, current_app, redirect, render_template, request
from werkzeug.datastructures import MultiDict

from cart.config import ANON_CART_COOKIE, ANON_CART_MAX_AGE
from cart.payments import owner
from shared.contracts.cart import CartLineNotFound
from shared.contracts.dtos import NewCartLine
from shared.contracts.errors import CartItemUnavailable
from shared.infrastructure.cross_app import (
    cross_app_form,
    is_cross_site,
    same_site_url,
    site_cookie_domain,
)
from shared.infrastructure.params import whole_number
from shared.infrastructure.runtime import request_session, runtime, unit_of_work
from shared.infrastructure.viewer import current_viewer
from shared.services.cart.page import remove_line, set_quantity
from shared.services.market.unit_prices import variant_unit_price
from shared.services.registry import services

bp = Blueprint("lines", __name__)

_TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{32,64}$")
_LINE_FIELDS = ("product_id", "variant_id", "ticket_type_id", "quantity", "next")


def _new_line(form: MultiDict[str, str]) -> NewCartLine:
    """The line the form asks for; 400 when it names no item or a bad number."""
    quantity = whole_number(form.get("quantity"), "The quantity", default=1) or 0
    product_id = whole_number(form.get("product_id"), "The product")
    variant_id = whole_number(form.get("variant_id"), "The variant")
    ticket_type_id = whole_number(form.get("ticket_type_id"), "The kind of ticket")
    if (product_id is None) == (ticket_type_id is None):
        abort(400, description="Choose one product or one kind of ticket.")
    if variant_id is not None and product_id is None:
        abort(400, description="A variant belongs to a product: choose the product too.")
    if not 1 <= quantity <= 99:
        abort(400, description="Choose a quantity from 1 to 99.")
    return NewCartLine(
        quantity=quantity,
        product_id=product_id,
        ticket_type_id=ticket_type_id,
        variant_id=variant_id,
    )


def _way_back(form: MultiDict[str, str]) -> str:
    return same_site_url(form.get("next") or request.referrer, runtime(current_app).settings, "/")


@bp.get("/lines/new")
async def get_new_line() -> str:
    """Confirm an item to add, when the page offering it could not add it directly."""
    line = _new_line(request.args)
    try:
        item = await services.cart.get_cart_item(request_session(current_app), line)
    except CartItemUnavailable as exc:
        abort(409, description=str(exc))
    per_unit = None
    if line.product_id is not None:
        per_unit = await variant_unit_price(
            request_session(current_app), line.product_id, line.variant_id
        )
    return await render_template(
        "cart/lines/new.html",
        line=line,
        item=item,
        per_unit=per_unit,
        back=_way_back(request.args),
    )


@bp.post("/lines")
@cross_app_form
async def post_line() -> Response:
    """Add a product or tickets to the visitor's cart, then go back where they were."""
    form = await request.form
    line = _new_line(form)
    if is_cross_site(request.headers):
        fields = {name: form[name] for name in _LINE_FIELDS if form.get(name)}
        return redirect(f"/lines/new?{urlencode(fields)}", 303)
    viewer = current_viewer()
    sent_token = request.cookies.get(ANON_CART_COOKIE, "")
    token = None
    if viewer is None:
        token = sent_token if _TOKEN_RE.match(sent_token) else secrets.token_urlsafe(32)
    try:
        # The cart service records CartChanged: the mini-cart is dropped after the commit.
        async with unit_of_work(current_app) as uow:
            await services.cart.add_to_cart(
                uow.session, user_id=viewer.id if viewer else None, anon_token=token, line=line
            )
    except CartItemUnavailable as exc:
        abort(409, description=str(exc))
    response = redirect(_way_back(form), 303)
    if token is not None:
        settings = runtime(current_app).settings
        response.set_cookie(
            ANON_CART_COOKIE,
            token,
            max_age=ANON_CART_MAX_AGE,
            domain=site_cookie_domain(settings),
            secure=settings.secure_cookies,
            httponly=True,
            samesite="Lax",
        )
    return response


@bp.post("/lines/<int:line_id>/quantity")
async def post_quantity(line_id: int) -> Response:
    """Change a line's quantity on the cart page; a bad number or another's line is a 4xx."""
    form = await request.form
    quantity = whole_number(form.get("quantity"), "The quantity")
    if quantity is None or not 1 <= quantity <= 99:
        abort(400, description="Choose a quantity from 1 to 99 (or remove the line).")
    try:
        async with unit_of_work(current_app) as uow:
            await set_quantity(uow.session, owner(), line_id, quantity)
    except CartLineNotFound as exc:
        abort(404, description=str(exc))
    except CartItemUnavailable as exc:
        abort(409, description=str(exc))
    return redirect("/", 303)


@bp.post("/lines/<int:line_id>/delete")
async def post_delete(line_id: int) -> Response:
    try:
        async with unit_of_work(current_app) as uow:
            await remove_line(uow.session, owner(), line_id)
    except CartLineNotFound as exc:
        abort(404, description=str(exc))
    return redirect("/", 303)
