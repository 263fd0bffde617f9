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
from sqlalchemy import select
from werkzeug.wrappers.response import Response as WerkzeugResponse

from shared.infrastructure.activitypub.actors import (
    INSTANCE,
    PUBLIC,
    actor_document,
    app_actor,
    member_actor,
)
from shared.infrastructure.activitypub.collections import collection_document, count_of
from shared.infrastructure.activitypub.context import ap_runtime
from shared.infrastructure.activitypub.inbox import (
    InboxError,
    check_activity,
    process_inbound,
    store_inbound,
)
from shared.infrastructure.activitypub.remote import first_id
from shared.infrastructure.activitypub.signatures import IncomingRequest, SignatureError
from shared.infrastructure.activitypub.verify import KeyGoneError, verify_request
from shared.infrastructure.params import whole_number
from shared.infrastructure.runtime import request_session, runtime
from shared.infrastructure.security import csrf_exempt
from shared.models.activitypub import Activity, Actor, ApObject

log = logging.getLogger(__name__)
bp = Blueprint("activitypub", __name__)

AS_TYPES = ("application/activity+json", "application/ld+json")
MAX_INBOX_BYTES = 1_048_576
SERVED_TYPES = frozenset({"Follow", "Accept", "Reject", "Undo", "Like", "Announce"})


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


async def _actor(kind: str, username: str | None = None) -> Actor:
    rt = ap_runtime(current_app)
    session = request_session(current_app)
    actor: Actor | None
    if kind == "app":
        actor = await app_actor(session, rt.settings, rt.app_name)
    elif rt.app_name != "federation":
        actor = None
    elif kind == "instance":
        actor = await app_actor(session, rt.settings, INSTANCE)
    else:
        actor = await member_actor(session, rt.settings, username or "")
    if actor is None:
        abort(404, description="No such actor here.")
    await session.commit()  # rows or keys made on first use
    return actor


async def _actor_page(actor: Actor) -> Response | str:
    if wants_activity_json():
        return as_json(actor_document(ap_runtime(current_app).settings, actor))
    session = request_session(current_app)
    view = {
        "name": actor.display_name or actor.preferred_username,
        "handle": f"@{actor.preferred_username}@{actor.domain}",
        "summary_html": actor.summary,  # our own text: app blurbs, escaped member bios
        "ap_id": actor.ap_id,
    }
    page = await render_template(
        "activitypub/actor.html",
        actor=view,
        followers=await count_of(session, actor, "followers"),
        following=await count_of(session, actor, "following"),
    )
    response = Response(page, content_type="text/html; charset=utf-8")
    response.headers["Vary"] = "Accept"
    return response


async def _collection(actor: Actor, name: str) -> Response:
    sent = request.args.get("page")
    page = 1 if sent == "true" else whole_number(sent, "page")
    url = f"{actor.ap_id}/{name}"
    document = await collection_document(request_session(current_app), actor, name, url, page)
    return as_json(document)


def _headers() -> dict[str, str]:
    """The request's headers, names lower case, repeated ones joined as HTTP allows."""
    joined: dict[str, list[str]] = {}
    for name, value in request.headers.items():
        joined.setdefault(name.lower(), []).append(value)
    return {name: ", ".join(values) for name, values in joined.items()}


def _is_self_delete(body: bytes) -> bool:
    try:
        activity = json.loads(body)
    except ValueError:
        return False
    if not isinstance(activity, dict) or activity.get("type") != "Delete":
        return False
    actor = first_id(activity.get("actor"))
    return actor is not None and actor == first_id(activity.get("object"))


async def _inbox(recipient: Actor | None) -> tuple[Response, int]:
    rt = ap_runtime(current_app)
    body = await request.get_data(cache=False, as_text=False)
    assert isinstance(body, bytes)
    if len(body) > MAX_INBOX_BYTES:
        return as_json({"error": "the activity is larger than 1 MB"}), 413
    raw_path = request.scope.get("raw_path") or request.path.encode()
    incoming = IncomingRequest(
        method=request.method,
        scheme=rt.scheme,
        path=raw_path.decode("latin-1"),
        query=request.query_string.decode("latin-1"),
        headers=_headers(),
        body=body,
    )
    session = request_session(current_app)
    try:
        signer = await verify_request(session, rt.settings, rt.client, incoming)
        activity = check_activity(json.loads(body), signer)
    except KeyGoneError as exc:
        if _is_self_delete(body):
            # A deleted account announcing its own deletion: nothing of it to verify
            # or keep. 202 so its server stops retrying, as Mastodon answers.
            log.info("inbox %s: 202 for the Delete of a gone actor (%s)", request.path, exc)
            return as_json({"status": "accepted"}), 202
        log.info("inbox %s: 401 %s", request.path, exc)
        return as_json({"error": str(exc)}), 401
    except SignatureError as exc:
        log.info("inbox %s: 401 %s", request.path, exc)
        return as_json({"error": str(exc)}), 401
    except InboxError as exc:
        return as_json({"error": str(exc)}), exc.status
    except ValueError:
        return as_json({"error": "the body is not JSON"}), 400
    row_id = await store_inbound(session, signer, recipient, activity)
    await session.commit()
    if row_id is not None and rt.settings.activitypub.inbox_background:
        sessions = runtime(current_app).db.sessions
        assert sessions is not None
        current_app.add_background_task(process_inbound, sessions, rt.settings, rt.client, row_id)
    return as_json({"status": "accepted"}), 202


# -- the app's actor and the host's shared inbox -------------------------------------------


@bp.get("/actor")
async def get_actor() -> Response | str:
    return await _actor_page(await _actor("app"))


@bp.get("/actor/<any(outbox, followers, following):name>")
async def get_actor_collection(name: str) -> Response:
    return await _collection(await _actor("app"), name)


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
async def get_member(username: str) -> Response | str:
    return await _actor_page(await _actor("member", username))


@bp.get("/@<username>")
async def get_member_profile(username: str) -> Response | str:
    return await _actor_page(await _actor("member", username))


@bp.get("/users/<username>/<any(outbox, followers, following):name>")
async def get_member_collection(username: str, name: str) -> Response:
    return await _collection(await _actor("member", username), name)


@bp.post("/users/<username>/inbox")
@csrf_exempt
async def post_member_inbox(username: str) -> tuple[Response, int]:
    return await _inbox(await _actor("member", username))


@bp.get("/instance")
async def get_instance_actor() -> Response | str:
    return await _actor_page(await _actor("instance"))


@bp.get("/instance/<any(outbox, followers, following):name>")
async def get_instance_collection(name: str) -> Response:
    return await _collection(await _actor("instance"), name)


@bp.post("/instance/inbox")
@csrf_exempt
async def post_instance_inbox() -> tuple[Response, int]:
    return await _inbox(await _actor("instance"))


# -- objects and activities ------------------------------------------------------------------


async def _object_response(ap_id: str) -> Response | WerkzeugResponse:
    session = request_session(current_app)
    stored = await session.scalar(
        select(ApObject).where(ApObject.ap_id == ap_id, ApObject.is_local.is_(True))
    )
    if stored is None or stored.visibility not in ("public", "unlisted"):
        abort(404, description="No such object here.")
    if stored.deleted_at is not None:
        tombstone = {"id": ap_id, "type": "Tombstone", "formerType": stored.type}
        return as_json({"@context": "https://www.w3.org/ns/activitystreams", **tombstone}, 410)
    if not wants_activity_json():
        return redirect(stored.url or "/")
    payload = dict(stored.payload) or {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": stored.ap_id,
        "type": stored.type,
        "attributedTo": stored.actor.ap_id,
        "content": stored.content_html,
        "url": stored.url,
        "to": [PUBLIC],
    }
    return as_json(payload)


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
    row = await request_session(current_app).scalar(
        select(Activity).where(Activity.ap_id == ap_id, Activity.direction == "outbound")
    )
    if row is None:
        abort(404, description="No such activity here.")
    addressed = [*row.payload.get("to", []), *row.payload.get("cc", [])]
    if row.type not in SERVED_TYPES and PUBLIC not in addressed:
        abort(404, description="No such activity here.")
    return as_json(row.payload)
