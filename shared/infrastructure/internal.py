"""`/internal/*`: endpoints only our own apps may call, and who they call them for.

Two headers, both from keys derived from SECRET_KEY (which every app of the
stack shares, and which the operator already rotates) in
`shared.infrastructure.keys`, each under its own HKDF label:

- `X-Internal-Token`: the internal-token key itself, in hex.
  A request to `/internal/*` without it is refused with 403. Deriving it
  keeps SECRET_KEY itself off the wire and out of every log, and gives the
  operator one secret less to distribute.
- `X-Internal-Viewer`: the viewer the fragment is for (member id, anonymous
  cart token), as `v1.<base64url JSON>.<base64url HMAC>` under a second
  derived key, with the time it was signed. A provider trusts only a viewer
  that verifies and is at most VIEWER_MAX_AGE old, so a header seen in a
  log cannot be replayed for long, and the token alone cannot claim to be a member.

Requests that came through the public reverse proxy (they carry
X-Forwarded-For or Forwarded, which Caddy always adds) are refused too:
internal endpoints are for app-to-app calls on the stack network only.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from dataclasses import dataclass

from quart import Quart, abort, g, request

from shared.contracts.widgets import ANONYMOUS, FragmentViewer
from shared.infrastructure.keys import Purpose, derive_key

TOKEN_HEADER = "X-Internal-Token"
VIEWER_HEADER = "X-Internal-Viewer"
INTERNAL_PREFIX = "/internal/"
VIEWER_MAX_AGE = 300  # seconds; generous for clock skew between hosts
_PROXY_HEADERS = ("X-Forwarded-For", "Forwarded", "X-Forwarded-Host")


class InvalidViewer(Exception):
    """The viewer header is malformed, forged or too old."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True, slots=True)
class InternalAuth:
    """Makes and checks the internal headers; one per process, from SECRET_KEY."""

    token: str
    viewer_key: bytes

    @classmethod
    def from_secret(cls, secret_key: str) -> InternalAuth:
        return cls(
            token=derive_key(secret_key, Purpose.INTERNAL_TOKEN).hex(),
            viewer_key=derive_key(secret_key, Purpose.INTERNAL_VIEWER),
        )

    def token_is_valid(self, sent: str | None) -> bool:
        if not sent:
            return False
        return hmac.compare_digest(sent.encode(), self.token.encode())

    def sign_viewer(self, viewer: FragmentViewer, *, now: float | None = None) -> str:
        payload = {"u": viewer.user_id, "c": viewer.anon_cart, "t": int(now or time.time())}
        body = _b64(json.dumps(payload, separators=(",", ":")).encode())
        signature = hmac.new(self.viewer_key, body.encode(), hashlib.sha256).digest()
        return f"v1.{body}.{_b64(signature)}"

    def read_viewer(self, header: str, *, now: float | None = None) -> FragmentViewer:
        """The viewer of a signed header; raises InvalidViewer unless it verifies and is recent."""
        version, _, rest = header.partition(".")
        body, _, signature = rest.partition(".")
        if version != "v1" or not body or not signature:
            raise InvalidViewer("malformed")
        expected = hmac.new(self.viewer_key, body.encode(), hashlib.sha256).digest()
        try:
            if not hmac.compare_digest(_unb64(signature), expected):
                raise InvalidViewer("bad signature")
            payload = json.loads(_unb64(body))
        except (binascii.Error, ValueError) as exc:
            raise InvalidViewer("malformed") from exc
        user_id, anon_cart, signed_at = payload.get("u"), payload.get("c"), payload.get("t")
        if not isinstance(signed_at, int) or abs((now or time.time()) - signed_at) > VIEWER_MAX_AGE:
            raise InvalidViewer("expired")
        if not (user_id is None or isinstance(user_id, int)) or not (
            anon_cart is None or isinstance(anon_cart, str)
        ):
            raise InvalidViewer("malformed")
        return FragmentViewer(user_id=user_id, anon_cart=anon_cart or None)

    def headers(self, viewer: FragmentViewer | None = None) -> dict[str, str]:
        """What an internal request carries; no viewer header for a viewer-independent call."""
        headers = {TOKEN_HEADER: self.token}
        if viewer is not None:
            headers[VIEWER_HEADER] = self.sign_viewer(viewer)
        return headers


def install_internal_guard(app: Quart, auth: InternalAuth) -> None:
    """Refuse every `/internal/*` request that lacks the token; read the viewer of the rest."""

    @app.before_request
    async def guard_internal() -> None:
        if not request.path.startswith(INTERNAL_PREFIX):
            return
        if any(name in request.headers for name in _PROXY_HEADERS):
            abort(403, description="Internal endpoints are not served through the public proxy.")
        if not auth.token_is_valid(request.headers.get(TOKEN_HEADER)):
            abort(403, description="This endpoint is for Rose Ash apps only.")
        header = request.headers.get(VIEWER_HEADER)
        try:
            g.internal_viewer = auth.read_viewer(header) if header else ANONYMOUS
        except InvalidViewer as exc:
            abort(403, description=f"The viewer header is {exc}.")


def internal_viewer() -> FragmentViewer:
    """The viewer an internal request is for (anonymous when the caller named none)."""
    return g.get("internal_viewer", ANONYMOUS)
