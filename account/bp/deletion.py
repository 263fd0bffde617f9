"""Delete my account, from the privacy page: the password again and the email typed out.

Refused, with the form shown again and nothing changed, for a member who still holds
something others rely on (site or blog administrator, a live market stall's owner).
Otherwise one unit of work: each domain does its part through the registry (cart keeps
the orders for the accounts, anonymised; events releases bookings and tickets;
newsletters drops subscriptions), then identity tombstones the row, whose MemberDeleted
deletes the fediverse actor and queues the confirmation mail in the same transaction.
"""

from __future__ import annotations

from datetime import UTC, datetime

from markupsafe import Markup, escape
from quart import Blueprint, current_app, g, redirect, render_template, request
from sqlalchemy.exc import IntegrityError
from werkzeug.wrappers import Response as WerkzeugResponse

from shared.contracts.dtos import UserRecord
from shared.infrastructure.oauth import login_required, sign_in_state
from shared.infrastructure.runtime import request_session, runtime, unit_of_work
from shared.infrastructure.viewer import current_viewer
from shared.models.blog import StaffRole
from shared.services.registry import services

bp = Blueprint("deletion", __name__, url_prefix="/privacy")

NOT_DELETED = "Nothing was deleted."


async def _refused(message: str | Markup, status: int) -> tuple[str, int]:
    page = await render_template(
        "account/privacy/index.html", delete_error=escape(message), **await page_facts()
    )
    return page, status


async def page_facts() -> dict[str, object]:
    """What the privacy page says before deleting: how many coming tickets would be void,
    and what the member must hand over first."""
    member = current_viewer()
    assert member is not None
    session = request_session(current_app)
    tickets = await services.events.list_member_tickets(
        session, member.id, now=datetime.now(UTC), limit=500
    )
    return {
        "coming_tickets": len([t for t in tickets if t.status == "valid"]),
        # Said before the member types anything: what they must hand over first.
        "holding": await _holdings(member),
    }


async def _holdings(member: UserRecord) -> str | Markup | None:
    """Why the member cannot go yet (a role or stall others rely on), or None."""
    session = request_session(current_app)
    if member.is_admin:
        return (
            "You are a site administrator: ask another administrator to take that role "
            "from you first."
        )
    staff = await services.blog.list_staff(session)
    if any(s.user_id == member.id and s.role == StaffRole.ADMINISTRATOR for s in staff):
        return (
            "You are an administrator of the blog: hand the role over (the blog's staff "
            "page) first."
        )
    stalls = await services.market.list_owned_live_stalls(session, member.id)
    if stalls:
        market = runtime(current_app).settings.apps["market"].base_url.rstrip("/")
        links = Markup(", ").join(
            Markup('<a href="{}">{}</a>').format(f"{market}/{s.slug}/", s.name) for s in stalls
        )
        return Markup(
            "You own the market stall {}: hand it over or close it first (see "
            '<a href="{}">your stalls</a>).'
        ).format(links, f"{market}/mine/")
    return None


@bp.post("/delete")
@login_required
async def post_delete() -> tuple[str, int] | WerkzeugResponse:
    member = current_viewer()
    assert member is not None
    form = await request.form
    session = request_session(current_app)
    if not await services.identity.has_password(session, member.id):
        federation = runtime(current_app).settings.apps["federation"].base_url.rstrip("/")
        return await _refused(
            Markup(
                'Your account has no password yet: <a href="{}">set one</a> (a link is '
                "mailed to you), then come back and confirm with it. {}"
            ).format(f"{federation}/password/forgot", NOT_DELETED),
            403,
        )
    confirmed = await services.identity.authenticate(
        session, member.username, form.get("password", "")
    )
    if confirmed is None or confirmed.id != member.id:
        return await _refused(f"That is not your password. {NOT_DELETED}", 403)
    typed = form.get("confirm_email", "").strip().lower()
    if typed != member.email.lower():
        return await _refused(
            f"Type your email address exactly as it is on your account to confirm. {NOT_DELETED}",
            400,
        )
    holding = await _holdings(member)
    if holding is not None:
        return await _refused(escape(holding) + " " + NOT_DELETED, 409)
    events_url = runtime(current_app).settings.apps["events"].base_url.rstrip("/")
    try:
        async with unit_of_work(current_app) as uow:
            await services.cart.anonymise_member_orders(uow.session, member.id)
            await services.events.release_member(
                uow.session, member.id, now=datetime.now(UTC), base_url=events_url
            )
            await services.newsletters.remove_member(uow.session, member)
            await services.identity.tombstone_member(uow.session, member.id)
    except (IntegrityError, LookupError):
        current_app.logger.exception("deleting member %s failed: rolled back", member.id)
        return await _refused(
            f"Your account could not be deleted just now. {NOT_DELETED} Please try again.", 409
        )
    return await _signed_out(redirect("/privacy/deleted", 303))


async def _signed_out(response: WerkzeugResponse) -> WerkzeugResponse:
    """This app's session goes now; every other one ended with the account's
    sessions_valid_after (each app checks it on its next request)."""
    state = sign_in_state(current_app)
    app_session = g.get("app_session")
    if app_session is not None:
        await state.sessions(current_app).delete(app_session)
    response.delete_cookie(
        state.cookies.session, path="/", secure=state.cookies.secure, httponly=True
    )
    return response


@bp.get("/deleted")
async def get_deleted() -> str:
    return await render_template("account/privacy/deleted.html")
