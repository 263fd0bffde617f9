"""The stand-in's HTTP side: Ghost's Admin and Content APIs, its images, and `/_standin/`.

Admin requests carry `Authorization: Ghost <JWT>`, checked as Ghost's
`services/auth/api-key/admin.js` does: HS256 only, `kid` names the admin key, the
secret hex-decoded, `aud` matching `/?admin/?$`, at most 5 minutes old; anything else is
401 with Ghost's error shape. Content requests carry `?key=`.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
import time
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import OctKey

from shared.dev.ghost import control
from shared.dev.ghost.content import image_bytes
from shared.dev.ghost.nql import FilterError, compile_filter, sort_items
from shared.dev.ghost.serialize import serialize, serialize_plain

if TYPE_CHECKING:
    from shared.dev.ghost.server import GhostStandIn

Item = dict[str, Any]
_AUDIENCE = re.compile(r"^/?(v\d+/)?admin/?$")
_ADMIN = ("posts", "pages", "tags", "users")
_CONTENT = ("posts", "pages", "tags", "authors")
_SINGULAR = {"posts": "Post", "pages": "Page", "tags": "Tag", "users": "User", "authors": "Author"}


class ApiError(Exception):
    def __init__(self, status: int, kind: str, message: str) -> None:
        super().__init__(message)
        self.status, self.kind, self.message = status, kind, message


def check_admin_token(ghost: GhostStandIn, header: str | None) -> None:
    scheme, _, token = (header or "").partition(" ")
    if scheme != "Ghost" or not token:
        raise ApiError(
            401,
            "NoPermissionError",
            'Authorization header format is "Authorization: Ghost [token]"',
        )
    try:
        head_b64 = token.split(".")[0]
        head = json.loads(base64.urlsafe_b64decode(head_b64 + "=" * (-len(head_b64) % 4)))
    except (ValueError, binascii.Error, IndexError):
        raise ApiError(401, "BadRequestError", "Invalid JWT") from None
    kid, _, secret = ghost.admin_key.partition(":")
    if not isinstance(head, dict) or head.get("kid") != kid:
        raise ApiError(401, "UnauthorizedError", "Unknown Admin API Key")
    if head.get("alg") != "HS256":
        raise ApiError(401, "UnauthorizedError", "Invalid token: invalid algorithm")
    try:
        claims = jwt.decode(token, OctKey.import_key(bytes.fromhex(secret)), algorithms=["HS256"])
    except (JoseError, ValueError):
        raise ApiError(401, "UnauthorizedError", "Invalid token: invalid signature") from None
    payload = claims.claims
    now = time.time()
    aud = payload.get("aud")
    if not isinstance(aud, str) or not _AUDIENCE.match(aud):
        raise ApiError(401, "UnauthorizedError", "Invalid token: jwt audience invalid")
    iat, exp = payload.get("iat"), payload.get("exp")
    if not isinstance(iat, int) or now - iat > 300 or (isinstance(exp, int) and exp < now):
        raise ApiError(401, "UnauthorizedError", "Invalid token: jwt expired")


def _one(query: dict[str, list[str]], name: str) -> str | None:
    values = query.get(name)
    return values[0] if values else None


def _names(text: str | None) -> set[str]:
    return {part.strip() for part in (text or "").split(",") if part.strip()}


def browse(ghost: GhostStandIn, resource: str, query: dict[str, list[str]], *, admin: bool) -> Item:
    raw_limit = _one(query, "limit") or "15"
    raw_page = _one(query, "page") or "1"
    try:
        # Ghost 6 caps a page at 100 and no longer knows `all`.
        limit = 100 if raw_limit == "all" else min(int(raw_limit), 100)
        page = int(raw_page)
        if limit < 1 or page < 1:
            raise ValueError
    except ValueError:
        raise ApiError(
            422, "ValidationError", "Validation error, limit and page must be positive numbers"
        ) from None
    try:
        keep = compile_filter(_one(query, "filter"))
    except FilterError as exc:
        raise ApiError(400, "BadRequestError", f"Error parsing filter: {exc}") from None
    include = _names(_one(query, "include"))
    fields = sorted(_names(_one(query, "fields"))) or None
    default_formats = "html" if not admin else "lexical"
    formats = _names(_one(query, "formats") or default_formats)
    relations = include if not admin else include or {"tags", "authors"}
    with ghost._lock:
        if resource in ("posts", "pages"):
            kind = resource[:-1]
            # Expanding relations costs more than all the rest: only for filters on them.
            related = any(word in (_one(query, "filter") or "") for word in ("tag", "author"))
            candidates = [
                _view(ghost, i) if related else i
                for i in ghost.items.values()
                if i["type"] == kind and (admin or i["status"] == "published")
            ]
            default_order = "published_at desc, id desc"
        else:
            source = ghost.tags if resource == "tags" else ghost.users
            candidates = [
                x for x in source.values() if admin or x.get("visibility", "public") == "public"
            ]
            default_order = "name asc"
        try:
            matching = sort_items(
                [x for x in candidates if keep(x)], _one(query, "order"), default_order
            )
        except FilterError as exc:
            raise ApiError(400, "BadRequestError", f"Error parsing order: {exc}") from None
        total = len(matching)
        pages = max(1, math.ceil(total / limit))
        chosen = matching[(page - 1) * limit : page * limit]
        if resource in ("posts", "pages"):
            items = [
                serialize(
                    ghost,
                    ghost.items[x["id"]],
                    admin=admin,
                    include=relations,
                    formats=formats,
                    fields=fields,
                )
                for x in chosen
            ]
        else:
            items = [serialize_plain(x, admin=admin, fields=fields) for x in chosen]
    return {
        resource: items,
        "meta": {
            "pagination": {
                "page": page,
                "limit": limit,
                "pages": pages,
                "total": total,
                "next": page + 1 if page < pages else None,
                "prev": page - 1 if page > 1 else None,
            }
        },
    }


def _view(ghost: GhostStandIn, item: Item) -> Item:
    """An item as filters and `order` see it: relations as objects (shared, not copied)."""
    view = dict(item)
    view["tags"] = [ghost.tags[t] for t in item["_tags"] if t in ghost.tags]
    view["authors"] = [ghost.users[a] for a in item["_authors"]]
    return view


def read(
    ghost: GhostStandIn,
    resource: str,
    key: str,
    value: str,
    query: dict[str, list[str]],
    *,
    admin: bool,
) -> Item:
    include = _names(_one(query, "include"))
    if admin and not include:
        include = {"tags", "authors"}  # the Admin API's default relations
    formats = _names(_one(query, "formats") or ("lexical" if admin else "html"))
    fields = sorted(_names(_one(query, "fields"))) or None
    with ghost._lock:
        found: Item | None = None
        if resource in ("posts", "pages"):
            found = next(
                (
                    i
                    for i in ghost.items.values()
                    if i["type"] == resource[:-1]
                    and i[key] == value
                    and (admin or i["status"] == "published")
                ),
                None,
            )
            shown = (
                serialize(
                    ghost, found, admin=admin, include=include, formats=formats, fields=fields
                )
                if found
                else None
            )
        else:
            source = ghost.tags if resource == "tags" else ghost.users
            found = next((x for x in source.values() if x[key] == value), None)
            shown = serialize_plain(found, admin=admin, fields=fields) if found else None
    if shown is None:
        raise ApiError(404, "NotFoundError", f"{_SINGULAR[resource]} not found.")
    return {resource: [shown]}


def create_webhook(ghost: GhostStandIn, body: Any) -> Item:
    hooks = body.get("webhooks") if isinstance(body, dict) else None
    hook = hooks[0] if isinstance(hooks, list) and hooks else None
    if not isinstance(hook, dict):
        raise ApiError(
            422,
            "ValidationError",
            'Validation error, cannot save webhook: expected {"webhooks": [{...}]}',
        )
    for name in ("event", "target_url"):
        if not hook.get(name):
            raise ApiError(
                422,
                "ValidationError",
                f"Validation error, cannot save webhook. "
                f"Value in [webhooks.{name}] cannot be blank.",
            )
    return {
        "webhooks": [ghost.subscribe(hook["event"], hook["target_url"], hook.get("secret") or None)]
    }


def handler_for(ghost: GhostStandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "GhostStandIn/6"
        protocol_version = "HTTP/1.1"  # keep-alive, as an httpx pool expects

        def log_message(self, format: str, *args: Any) -> None:
            return

        def setup(self) -> None:
            super().setup()
            ghost.connections.add(self.connection)

        def finish(self) -> None:
            ghost.connections.discard(self.connection)
            super().finish()

        def send(
            self, status: int, data: bytes, content_type: str, headers: dict[str, str] | None = None
        ) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)

        def send_json(self, status: int, body: Any) -> None:
            data = b"" if status == 204 else json.dumps(body).encode()
            self.send(status, data, "application/json; charset=utf-8")

        def body(self) -> bytes:
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(length) if length else b""

        def do_GET(self) -> None:
            self.route("GET")

        def do_HEAD(self) -> None:
            self.route("GET")

        def do_POST(self) -> None:
            self.route("POST")

        def do_PUT(self) -> None:
            self.route("PUT")

        def do_DELETE(self) -> None:
            self.route("DELETE")

        def route(self, method: str) -> None:
            url = urlsplit(self.path)
            raw = self.body() if method in ("POST", "PUT") else b""
            if url.path.startswith("/content/images/") and method == "GET":
                return self.image(url.path)
            if url.path.startswith("/_standin"):
                status, data, ctype, headers = control.handle(ghost, method, url, raw, self.headers)
                return self.send(status, data, ctype, headers)
            if not url.path.startswith("/ghost/api/"):
                return self.send_json(
                    404, {"errors": [{"message": "Resource not found", "type": "NotFoundError"}]}
                )
            if not ghost.take_answer():
                return self.send_json(
                    503,
                    {"errors": [{"message": "Service Unavailable", "type": "InternalServerError"}]},
                )
            try:
                self.send_json(*self.api(method, url.path, parse_qs(url.query), raw))
            except ApiError as exc:
                self.send_json(exc.status, {"errors": [{"message": exc.message, "type": exc.kind}]})

        def api(
            self, method: str, path: str, query: dict[str, list[str]], raw: bytes
        ) -> tuple[int, Item]:
            parts = path.strip("/").split("/")[2:]  # after ghost/api
            if not parts or parts[0] not in ("admin", "content"):
                raise ApiError(404, "NotFoundError", "Resource not found")
            admin = parts[0] == "admin"
            rest = parts[1:]
            if admin:
                check_admin_token(ghost, self.headers.get("Authorization"))
            elif _one(query, "key") != ghost.content_key:
                raise ApiError(401, "UnauthorizedError", "Unknown Content API Key")
            allowed = _ADMIN if admin else _CONTENT
            if admin and rest == ["webhooks"] and method == "POST":
                try:
                    body = json.loads(raw or b"{}")
                except ValueError:
                    raise ApiError(400, "BadRequestError", "Invalid JSON body") from None
                return 201, create_webhook(ghost, body)
            if admin and len(rest) == 2 and rest[0] == "webhooks" and method == "DELETE":
                with ghost._lock:
                    if ghost.webhooks.pop(rest[1], None) is None:
                        raise ApiError(404, "NotFoundError", "Webhook not found.")
                return 204, {}
            if method != "GET" or not rest:
                raise ApiError(404, "NotFoundError", "Resource not found")
            resource = "users" if not admin and rest[0] == "authors" else rest[0]
            if rest[0] not in allowed:
                raise ApiError(404, "NotFoundError", "Resource not found")
            name = rest[0]
            if len(rest) == 1:
                answer = browse(ghost, resource, query, admin=admin)
                answer[name] = answer.pop(resource)
                return 200, answer
            if len(rest) == 2:
                answer = read(ghost, resource, "id", rest[1], query, admin=admin)
            elif len(rest) == 3 and rest[1] == "slug":
                answer = read(ghost, resource, "slug", rest[2], query, admin=admin)
            else:
                raise ApiError(404, "NotFoundError", "Resource not found")
            return 200, {name: answer[resource]}

        def image(self, path: str) -> None:
            if path in ghost.broken_images or not path.lower().endswith((".png", ".jpg", ".jpeg")):
                return self.send(404, b"Not found", "text/plain")
            data, ctype = image_bytes(path)
            self.send(200, data, ctype, {"Cache-Control": "public, max-age=31536000"})

    return Handler
