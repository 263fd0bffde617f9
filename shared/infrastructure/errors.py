"""Error pages in the shared layout, or JSON for machine clients.

A 4xx says what was wrong; a 500 says sorry and carries the request id so a
member can quote it and an operator can find the log line.
"""

from __future__ import annotations

import logging

from quart import Quart, Response, jsonify, render_template, request
from werkzeug.exceptions import HTTPException, InternalServerError

from shared.infrastructure.security import request_id_var
from shared.infrastructure.unavailable import RETRY_AFTER_SECONDS, unavailable_service

log = logging.getLogger(__name__)

_TITLES = {
    400: "That request didn't make sense",
    401: "Please sign in",
    403: "That's not yours to see",
    404: "We couldn't find that page",
    405: "That action isn't allowed here",
    413: "That's too large",
    429: "Slow down a little",
    503: "Part of the site is down for a moment",
}


def _wants_json() -> bool:
    if request.path.startswith(("/internal/", "/api/")):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json"


async def _render(code: int, title: str, message: str) -> tuple[Response | str, int]:
    request_id = request_id_var.get()
    if _wants_json():
        return jsonify(error=title, message=message, status=code, request_id=request_id), code
    template = {404: "errors/404.html", 500: "errors/500.html"}.get(code, "errors/error.html")
    html = await render_template(
        template, code=code, title=title, message=message, request_id=request_id
    )
    return html, code


async def _unavailable(service: str, error: Exception) -> tuple[Response | str, int]:
    """A restart of PostgreSQL or Redis: a 503 naming it, not a 500 and a traceback."""
    log.warning(
        "%s %s: %s is not answering (%s: %s)",
        request.method, request.path, service, type(error).__name__, error,
    )  # fmt: skip
    try:
        body, code = await _render(
            503,
            "Part of the site is down for a moment",
            f"{service[0].upper()}{service[1:]} is not answering. Nothing you sent was "
            f"half-saved: try again in {RETRY_AFTER_SECONDS} seconds.",
        )
    except Exception:  # the page itself needs what is down (a fragment, a session)
        body = Response(
            f"{service} is not answering; try again in {RETRY_AFTER_SECONDS} seconds",
            status=503,
            mimetype="text/plain",
        )
        code = 503
    response = body if isinstance(body, Response) else Response(body, mimetype="text/html")
    response.status_code = code
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response.headers["Cache-Control"] = "no-store"
    return response, code


def install_error_handlers(app: Quart) -> None:
    @app.errorhandler(HTTPException)
    async def handle_http_error(error: HTTPException) -> tuple[Response | str, int]:
        code = error.code or 500
        if code >= 500:
            return await handle_crash(error)
        # Werkzeug's stock descriptions are generic; only ours say something useful.
        described = error.description and error.description != type(error).description
        return await _render(
            code, _TITLES.get(code, error.name), (error.description or "") if described else ""
        )

    @app.errorhandler(Exception)
    async def handle_crash(error: Exception) -> tuple[Response | str, int]:
        service = unavailable_service(error)
        if service is not None:
            return await _unavailable(service, error)
        if not isinstance(error, InternalServerError):
            log.exception("unhandled error on %s %s", request.method, request.path)
        try:
            return await _render(
                500,
                "Something went wrong on our side",
                "It has been logged. Please try again in a moment.",
            )
        except Exception:
            # The error page itself failed (templates or config broken): plain text.
            log.exception("the error page failed to render")
            return Response("Internal server error", status=500, mimetype="text/plain"), 500
