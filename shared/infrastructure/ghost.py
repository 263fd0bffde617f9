"""A Ghost client: the Admin and Content APIs over httpx, and Ghost's webhook signature.

Facts it follows are in reference/integrations.md §B: an Admin API key is `id:secret`
(the secret in hex) from which a short HS256 JWT is minted per request; the Content API
takes `?key=`; pages hold at most 100; webhooks carry
`X-Ghost-Signature: sha256=<hex>, t=<ms>` with hex = HMAC-SHA256(secret, body + t).

    client = GhostClient.from_settings(settings)   # None while GHOST_URL is unset
    page = await client.browse("posts", filter="updated_at:>'2026-01-01 00:00:00'")
"""

from __future__ import annotations

import hashlib
import hmac
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx
from joserfc import jwt
from joserfc.jwk import OctKey

if TYPE_CHECKING:
    from shared.infrastructure.config import Settings

ACCEPT_VERSION = "v5.0"
RESOURCES = ("posts", "pages", "tags", "users")
CONTENT_RESOURCES = ("posts", "pages", "tags", "authors")
MAX_LIMIT = 100
TOKEN_LIFETIME_S = 300


class GhostError(Exception):
    """Ghost answered with an error (or not at all); the message names the URL and why."""


class GhostUnavailable(GhostError):
    """Ghost could not be reached, timed out or answered 5xx: worth retrying later."""


class BadSignature(Exception):
    """A webhook's X-Ghost-Signature is missing, malformed, too old or does not match."""


@dataclass(frozen=True)
class GhostPage:
    items: list[dict[str, Any]]
    page: int
    pages: int
    total: int
    next: int | None


def admin_token(admin_key: str, now: int | None = None) -> str:
    """The JWT Ghost's Admin API accepts: HS256, `kid` the key's id, `aud` /admin/, 5 min."""
    kid, _, secret = admin_key.partition(":")
    try:
        key_bytes = bytes.fromhex(secret)
    except ValueError:
        raise GhostError("the Ghost Admin API key's secret is not hex (want id:secret)") from None
    if not kid or not key_bytes:
        raise GhostError("the Ghost Admin API key must be id:secret")
    iat = int(time.time()) if now is None else now
    return jwt.encode(
        {"alg": "HS256", "typ": "JWT", "kid": kid},
        {"iat": iat, "exp": iat + TOKEN_LIFETIME_S, "aud": "/admin/"},
        OctKey.import_key(key_bytes),
        algorithms=["HS256"],
    )


def sign(secret: str, body: bytes, ts_ms: int) -> str:
    """The X-Ghost-Signature header value Ghost sends for `body` at `ts_ms`."""
    digest = hmac.new(secret.encode(), body + str(ts_ms).encode(), hashlib.sha256).hexdigest()
    return f"sha256={digest}, t={ts_ms}"


def verify_signature(
    secret: str,
    body: bytes,
    header: str | None,
    *,
    now_ms: int | None = None,
    max_age_s: int = 300,
) -> None:
    """Raise BadSignature unless `header` signs `body` with `secret` within `max_age_s`."""
    if not header:
        raise BadSignature("the X-Ghost-Signature header is missing")
    parts: dict[str, str] = {}
    for piece in header.split(","):
        name, sep, value = piece.strip().partition("=")
        if sep:
            parts[name] = value
    digest, ts = parts.get("sha256", ""), parts.get("t", "")
    if not digest or not ts.isdigit():
        raise BadSignature("the X-Ghost-Signature header is malformed (want sha256=<hex>, t=<ms>)")
    current = int(time.time() * 1000) if now_ms is None else now_ms
    age_ms = current - int(ts)
    if abs(age_ms) > max_age_s * 1000:
        when = f"{age_ms // 1000} s old" if age_ms > 0 else f"{-age_ms // 1000} s in the future"
        raise BadSignature(
            f"the X-Ghost-Signature timestamp is too old or too new ({when}, "
            f"at most {max_age_s} s either way)"
        )
    expected = hmac.new(secret.encode(), body + ts.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, digest.lower()):
        raise BadSignature("the X-Ghost-Signature does not match the body")


def _params(
    *,
    page: int,
    limit: int,
    filter: str | None,
    order: str | None,
    include: str | None,
    fields: str | None,
    formats: str | None,
) -> dict[str, str]:
    if not 1 <= limit <= MAX_LIMIT:
        raise ValueError(f"limit must be 1..{MAX_LIMIT} (Ghost 6 caps pages at 100)")
    params = {"page": str(page), "limit": str(limit)}
    for name, value in (
        ("filter", filter),
        ("order", order),
        ("include", include),
        ("fields", fields),
        ("formats", formats),
    ):
        if value:
            params[name] = value
    return params


class GhostClient:
    def __init__(
        self,
        url: str,
        admin_key: str,
        content_key: str | None = None,
        *,
        http: httpx.AsyncClient | None = None,
        timeout: float = 10.0,
    ) -> None:
        self.url = url.rstrip("/")
        self.admin_key = admin_key
        self.content_key = content_key
        self._own_http = http is None
        self._http = http or httpx.AsyncClient(timeout=timeout)
        self._timeout = timeout

    @classmethod
    def from_settings(cls, settings: Settings) -> GhostClient | None:
        ghost = settings.ghost
        if not ghost.url:
            return None
        return cls(ghost.url, ghost.admin_key, ghost.content_key or None)

    async def aclose(self) -> None:
        if self._own_http:
            await self._http.aclose()

    async def __aenter__(self) -> GhostClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # -- requests --------------------------------------------------------------------

    async def _request(
        self,
        method: str,
        path: str,
        *,
        admin: bool = True,
        params: dict[str, str] | None = None,
        json: Any = None,
        allow_404: bool = False,
    ) -> dict[str, Any] | None:
        url = f"{self.url}/ghost/api/{'admin' if admin else 'content'}/{path}"
        headers = {"Accept-Version": ACCEPT_VERSION}
        query = dict(params or {})
        if admin:
            headers["Authorization"] = f"Ghost {admin_token(self.admin_key)}"
        else:
            if not self.content_key:
                raise GhostError(f"{url}: no Content API key (GHOST_CONTENT_KEY) is set")
            query["key"] = self.content_key
        try:
            response = await self._http.request(
                method, url, params=query, json=json, headers=headers, timeout=self._timeout
            )
        except httpx.TimeoutException as exc:
            raise GhostUnavailable(f"{url}: Ghost did not answer in time ({exc!r})") from exc
        except httpx.HTTPError as exc:
            raise GhostUnavailable(f"{url}: Ghost could not be reached ({exc!r})") from exc
        if response.status_code == 404 and allow_404:
            return None
        if response.status_code >= 500:
            raise GhostUnavailable(f"{url}: Ghost answered {response.status_code}")
        if response.status_code >= 400:
            raise GhostError(f"{url}: Ghost answered {response.status_code}: {_reason(response)}")
        try:
            body = response.json()
        except ValueError:
            raise GhostError(f"{url}: Ghost answered with something that is not JSON") from None
        if not isinstance(body, dict):
            raise GhostError(f"{url}: Ghost answered with JSON that is not an object")
        return body

    async def _browse(self, resource: str, *, admin: bool, params: dict[str, str]) -> GhostPage:
        allowed = RESOURCES if admin else CONTENT_RESOURCES
        if resource not in allowed:
            raise ValueError(f"{resource!r} is not one of {', '.join(allowed)}")
        body = await self._request("GET", f"{resource}/", admin=admin, params=params)
        assert body is not None
        items = body.get(resource)
        pagination = (body.get("meta") or {}).get("pagination") or {}
        if not isinstance(items, list):
            raise GhostError(f"{self.url}: Ghost's {resource} answer holds no {resource!r} list")
        return GhostPage(
            items=items,
            page=int(pagination.get("page") or 1),
            pages=int(pagination.get("pages") or 1),
            total=int(pagination.get("total") or len(items)),
            next=int(pagination["next"]) if pagination.get("next") else None,
        )

    async def browse(
        self,
        resource: str,
        *,
        page: int = 1,
        limit: int = 100,
        filter: str | None = None,
        order: str | None = None,
        include: str | None = None,
        fields: str | None = None,
        formats: str | None = "html",
        admin: bool = True,
    ) -> GhostPage:
        """One page of a browse: the Admin API's (every status: filter `status:published`),
        or with `admin=False` the Content API's (published content only)."""
        params = _params(
            page=page,
            limit=limit,
            filter=filter,
            order=order,
            include=include,
            fields=fields,
            formats=formats,
        )
        return await self._browse(resource, admin=admin, params=params)

    async def content_browse(self, resource: str, **options: Any) -> GhostPage:
        """One page of a Content API browse (published content only); `browse`'s options."""
        return await self.browse(resource, **options, admin=False)

    async def read(
        self,
        resource: str,
        ghost_id: str,
        *,
        include: str | None = None,
        formats: str | None = "html",
    ) -> dict[str, Any] | None:
        """One object by id from the Admin API, or None when Ghost has no such object."""
        if resource not in RESOURCES:
            raise ValueError(f"{resource!r} is not one of {', '.join(RESOURCES)}")
        params = {
            name: value for name, value in (("include", include), ("formats", formats)) if value
        }
        body = await self._request("GET", f"{resource}/{ghost_id}/", params=params, allow_404=True)
        if body is None:
            return None
        items = body.get(resource)
        if not isinstance(items, list) or not items:
            return None
        item = items[0]
        return item if isinstance(item, dict) else None

    async def create_webhook(
        self, event: str, target_url: str, secret: str | None = None
    ) -> dict[str, Any]:
        hook: dict[str, Any] = {"event": event, "target_url": target_url}
        if secret:
            hook["secret"] = secret
        body = await self._request("POST", "webhooks/", json={"webhooks": [hook]})
        assert body is not None
        hooks = body.get("webhooks")
        if not isinstance(hooks, list) or not hooks or not isinstance(hooks[0], dict):
            raise GhostError(f"{self.url}: Ghost's webhook answer holds no webhook")
        return hooks[0]


def _reason(response: httpx.Response) -> str:
    """Ghost's own error message (`{"errors":[{"message":…}]}`), else the status phrase."""
    try:
        errors = response.json().get("errors") or []
        message = errors[0].get("message")
        kind = errors[0].get("type")
    except (ValueError, AttributeError, IndexError, TypeError):
        return response.reason_phrase or "error"
    return f"{kind}: {message}" if kind else str(message)
