"""Actors, inboxes, collections and objects over HTTP.

Every app: `/actor` (+ `/inbox`, `/outbox`, `/followers`, `/following`
under it), the host's shared inbox `/inbox`, `/objects/...` and
`/activities/...`. federation adds `/users/<username>` (and its
collections), `/@<username>` and the instance actor at `/instance`.

Documents go to clients that ask for ActivityStreams (`Accept:
application/activity+json` or ld+json), HTML to everyone else, with
`Vary: Accept`. Inboxes verify the signature before storing anything and
answer 401 when it does not check out, 202 once stored.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from quart import Blueprint, Response, abort, current_app, redirect, render_template, request
from werkzeug.wrappers.response import Response as WerkzeugResponse

from shared.contracts.dtos import ActorRecord, CollectionName
from shared.infrastructure.activitypub.actors import AS_CONTEXT, INSTANCE, actor_document
from shared.infrastructure.activitypub.collections import collection_document, page_window
from shared.infrastructure.activitypub.context import ap_runtime
from shared.infrastructure.activitypub.receiving import receive
from shared.infrastructure.params import whole_number
from shared.infrastructure.runtime import request_session, unit_of_work
from shared.infrastructure.security import csrf_exempt
from shared.models.activitypub import ActorKind
from shared.services.registry import services

log = logging.getLogger(__name__)
bp = Blueprint("activitypub", __name__)

AS_TYPES = ("application/activity+json", "application/ld+json")


def wants_activity_json() -> bool:
    accept = request.headers.get("Accept", "")
    if any(media in accept for media in AS_TYPES):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json" and "text/html" not in accept


def as_json(document: dict[str, Any], status: int = 200) -> Response:
    response = Response(
        json.dumps(document), status=status, content_type="application/activity+json"
    )
    response.headers["Vary"] = "Accept"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


async def _actor_record(kind: str, username: str | None = None) -> ActorRecord:
    """The actor a GET names, read from the social service (nothing is written); 404 when
    this host has no such actor."""
    rt = ap_runtime(current_app)
    session = request_session(current_app)
    actor: ActorRecord | None = None
    if kind == "app":
        actor = await services.social.get_app_actor(session, rt.app_name)
    elif rt.app_name == "federation" and kind == "instance":
        actor = await services.social.get_app_actor(session, INSTANCE)
    elif rt.app_name == "federation":
        actor = await services.social.get_member_actor(session, username or "")
        if actor is None and await services.social.member_actor_deleted(session, username or ""):
            abort(410, description="This member deleted their account.")
    if actor is None:
        abort(404, description="No such actor here.")
    return actor


async def _actor(kind: str, username: str | None = None) -> ActorRecord:
    """The recipient of an inbox POST, from the social service (which makes its row when
    missing: a write path, unlike GETs); 404 when this host has no such actor."""
    app = ap_runtime(current_app).app_name
    async with unit_of_work(current_app) as uow:
        actor = await services.social.ensure_inbox_recipient(uow.session, app, kind, username)
    session = request_session(current_app)
    if (
        actor is None
        and kind == "member"
        and await services.social.member_actor_deleted(session, username or "")
    ):
        abort(410, description="This member deleted their account.")
    if actor is None:
        abort(404, description="No such actor here.")
    return actor


async def _actor_page(actor: ActorRecord) -> Response | str | WerkzeugResponse:
    if wants_activity_json():
        return as_json(actor_document(actor))
    session = request_session(current_app)
    if (
        actor.kind == ActorKind.MEMBER
        and "social_accounts.get_account" in current_app.view_functions
    ):
        # A member's page in a browser is their profile in the social hub.
        account = await services.social.lookup_account(session, actor.preferred_username)
        moved = redirect(f"/accounts/{account.id}")
        moved.headers["Vary"] = "Accept"
        return moved
    social = services.social
    followers = await social.get_collection(session, actor.ap_id, "followers", limit=0, offset=0)
    following = await social.get_collection(session, actor.ap_id, "following", limit=0, offset=0)
    view = {
        "name": actor.display_name or actor.preferred_username,
        "handle": f"@{actor.preferred_username}@{actor.domain}",
        "summary_html": actor.summary,  # our own text: app blurbs, escaped member bios
        "ap_id": actor.ap_id,
    }
    page = await render_template(
        "activitypub/actor.html",
        actor=view,
        followers=followers.total,
        following=following.total,
    )
    response = Response(page, content_type="text/html; charset=utf-8")
    response.headers["Vary"] = "Accept"
    return response


async def _collection(actor: ActorRecord, name: CollectionName) -> Response:
    sent = request.args.get("page")
    page = 1 if sent == "true" else whole_number(sent, "page")
    limit, offset = page_window(page)
    session = request_session(current_app)
    part = await services.social.get_collection(
        session, actor.ap_id, name, limit=limit, offset=offset
    )
    return as_json(collection_document(f"{actor.ap_id}/{name}", page, part))


async def _inbox(recipient: ActorRecord | None) -> tuple[Response, int]:
    # Limits, verification and storing: receiving.py.
    response = await receive(recipient.ap_id if recipient else None)
    return response, response.status_code


# -- the app's actor and the host's shared inbox -------------------------------------------


@bp.get("/actor")
async def get_actor() -> Response | str | WerkzeugResponse:
    return await _actor_page(await _actor_record("app"))


@bp.get("/actor/<any(outbox, followers, following):name>")
async def get_actor_collection(name: CollectionName) -> Response:
    return await _collection(await _actor_record("app"), name)


@bp.post("/actor/inbox")
@csrf_exempt
async def post_actor_inbox() -> tuple[Response, int]:
    return await _inbox(await _actor("app"))


@bp.post("/inbox")
@csrf_exempt
async def post_shared_inbox() -> tuple[Response, int]:
    return await _inbox(None)


# -- federation: members and the instance actor --------------------------------------------


@bp.get("/users/<username>")
async def get_member(username: str) -> Response | str | WerkzeugResponse:
    return await _actor_page(await _actor_record("member", username))


@bp.get("/@<username>")
async def get_member_profile(username: str) -> Response | str | WerkzeugResponse:
    return await _actor_page(await _actor_record("member", username))


@bp.get("/users/<username>/<any(outbox, followers, following):name>")
async def get_member_collection(username: str, name: CollectionName) -> Response:
    return await _collection(await _actor_record("member", username), name)


@bp.post("/users/<username>/inbox")
@csrf_exempt
async def post_member_inbox(username: str) -> tuple[Response, int]:
    return await _inbox(await _actor("member", username))


@bp.get("/instance")
async def get_instance_actor() -> Response | str | WerkzeugResponse:
    return await _actor_page(await _actor_record("instance"))


@bp.get("/instance/<any(outbox, followers, following):name>")
async def get_instance_collection(name: CollectionName) -> Response:
    return await _collection(await _actor_record("instance"), name)


@bp.post("/instance/inbox")
@csrf_exempt
async def post_instance_inbox() -> tuple[Response, int]:
    return await _inbox(await _actor("instance"))


# -- objects and activities ------------------------------------------------------------------


async def _object_response(ap_id: str) -> Response | WerkzeugResponse:
    stored = await services.social.get_local_object(request_session(current_app), ap_id)
    if stored is None:
        abort(404, description="No such object here.")
    if stored.deleted:
        tombstone = {"id": ap_id, "type": "Tombstone", "formerType": stored.type}
        return as_json({"@context": AS_CONTEXT, **tombstone}, 410)
    if not wants_activity_json():
        return redirect(stored.url or "/")
    return as_json(stored.document)


@bp.get("/objects/<path:key>")
async def get_object(key: str) -> Response | WerkzeugResponse:
    return await _object_response(f"{ap_runtime(current_app).base_url}/objects/{key}")


@bp.get("/users/<username>/notes/<note>")
async def get_member_note(username: str, note: str) -> Response | WerkzeugResponse:
    base = ap_runtime(current_app).base_url
    return await _object_response(f"{base}/users/{username}/notes/{note}")


@bp.get("/activities/<activity>")
async def get_activity(activity: str) -> Response:
    ap_id = f"{ap_runtime(current_app).base_url}/activities/{activity}"
    document = await services.social.get_public_activity(request_session(current_app), ap_id)
    if document is None:
        abort(404, description="No such activity here.")
    return as_json(document)
