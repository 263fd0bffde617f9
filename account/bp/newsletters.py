"""Joining and leaving newsletters: subscribe (double opt-in), confirm, unsubscribe.

`POST /newsletters/subscribe` takes the footer form every app shows (the
`newsletter-signup` fragment), so it is checked by origin, not by CSRF token
(shared.infrastructure.cross_app); it needs no cookie, so it works cross-site.
It writes nothing: it mails a signed, expiring link. The link's page
(`GET /newsletters/confirm`) only shows a button; its POST subscribes. A mail
scanner that follows the link subscribes nobody.

`/newsletters/<slug>/unsubscribe/<token>` is the List-Unsubscribe URL: a GET
shows a button, a POST (RFC 8058 one-click: `List-Unsubscribe=One-Click`, no
cookie, no CSRF token) unsubscribes that recipient from that list and answers 200.
"""

from quart import Blueprint, Response, abort, current_app, redirect, render_template, request

from shared.contracts.newsletters import NewsletterError
from shared.infrastructure.cross_app import cross_app_form
from shared.infrastructure.mail import Mail
from shared.infrastructure.page_cache import no_page_cache
from shared.infrastructure.params import whole_number
from shared.infrastructure.runtime import request_session, runtime, unit_of_work
from shared.infrastructure.security import csrf_exempt
from shared.services.registry import services

bp = Blueprint("newsletters", __name__, url_prefix="/newsletters")


def refuse(exc: NewsletterError) -> None:
    abort(exc.status, description=exc.message)


@bp.post("/subscribe")
@cross_app_form
async def post_subscribe() -> Response:
    """Mail a confirmation link for the chosen newsletters to the address given."""
    form = await request.form
    ids = [whole_number(v, "The newsletter") or 0 for v in form.getlist("newsletter_id")]
    try:
        pending = await services.newsletters.request_subscription(
            request_session(current_app), form.get("email", ""), ids
        )
    except NewsletterError as exc:
        refuse(exc)
    platform = runtime(current_app)
    link = f"{platform.settings.apps['account'].base_url}/newsletters/confirm?token={pending.token}"
    context = {"link": link, "email": pending.email}
    await platform.mailer.send(
        Mail(
            to=pending.email,
            subject="Confirm your subscription",
            text=await render_template("account/mail/confirm.txt", **context),
            html=await render_template("account/mail/confirm.html", **context),
        )
    )
    return redirect("/newsletters/check-your-inbox", 303)


@bp.get("/check-your-inbox")
async def get_check_your_inbox() -> str:
    return await render_template("account/newsletters/check_inbox.html")


@bp.get("/confirm")
@no_page_cache  # what the mailed token opens is that recipient's, not everyone's
async def get_confirm() -> str:
    """The confirmation link's page: what it subscribes to, and the button that does it."""
    token = request.args.get("token", "")
    session = request_session(current_app)
    try:
        pending = await services.newsletters.read_confirmation(session, token)
    except NewsletterError as exc:
        refuse(exc)
    names = [
        n.name
        for n in await services.newsletters.list_newsletters(session)
        if n.id in pending.newsletter_ids
    ]
    return await render_template("account/newsletters/confirm.html", pending=pending, names=names)


@bp.post("/confirm")
async def post_confirm() -> str:
    form = await request.form
    try:
        async with unit_of_work(current_app) as uow:
            made = await services.newsletters.confirm_subscription(
                uow.session, form.get("token", "")
            )
    except NewsletterError as exc:
        refuse(exc)
    return await render_template("account/newsletters/confirmed.html", subscriptions=made)


@bp.get("/<slug>/unsubscribe/<token>")
@no_page_cache  # the recipient's address, opened by the token in the link
async def get_unsubscribe(slug: str, token: str) -> str:
    try:
        subscription = await services.newsletters.get_by_unsubscribe_token(
            request_session(current_app), slug, token
        )
    except NewsletterError as exc:
        refuse(exc)
    return await render_template("account/newsletters/unsubscribe.html", subscription=subscription)


@bp.post("/<slug>/unsubscribe/<token>")
@csrf_exempt
async def post_unsubscribe(slug: str, token: str) -> str:
    """RFC 8058 one-click: the token is the credential, for that recipient and list only."""
    try:
        async with unit_of_work(current_app) as uow:
            subscription = await services.newsletters.unsubscribe(uow.session, slug, token)
    except NewsletterError as exc:
        refuse(exc)
    return await render_template("account/newsletters/unsubscribed.html", subscription=subscription)
