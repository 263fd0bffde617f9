"""`/healthz`: the process answers. `/readyz`: it can reach PostgreSQL and Redis.

The orchestrator restarts on a failing healthz and stops routing on a
failing readyz, so readyz names the failing part to make the cause obvious.
"""

from __future__ import annotations

import asyncio
import json

from quart import Blueprint, Response, current_app, jsonify
from sqlalchemy import text

from shared.infrastructure.runtime import runtime

bp = Blueprint("health", __name__)

PROBE_TIMEOUT_SECONDS = 2.0
_HEALTHZ_BODY = "rose_ash.healthz_body"


async def _probe_database() -> str | None:
    rt = runtime(current_app)
    try:
        async with asyncio.timeout(PROBE_TIMEOUT_SECONDS):
            async with rt.db.session() as session:
                await session.execute(text("SELECT 1"))
    except TimeoutError:
        return "timed out"
    except Exception as exc:
        return _reason(exc)
    return None


async def _probe_redis() -> str | None:
    rt = runtime(current_app)
    try:
        async with asyncio.timeout(PROBE_TIMEOUT_SECONDS):
            await rt.redis.ping()
    except TimeoutError:
        return "timed out"
    except Exception as exc:
        return _reason(exc)
    return None


def _reason(exc: Exception) -> str:
    detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return f"{type(exc).__name__}: {detail[0] if detail else 'unreachable'}"


@bp.get("/healthz")
async def get_healthz() -> Response:
    # The body made once per app, not by jsonify per probe: the orchestrator asks often.
    body = current_app.extensions.get(_HEALTHZ_BODY)
    if body is None:
        body = json.dumps({"app": runtime(current_app).name, "status": "ok"})
        current_app.extensions[_HEALTHZ_BODY] = body
    return Response(body, mimetype="application/json")


@bp.get("/readyz")
async def get_readyz() -> tuple[Response, int]:
    database, redis = await asyncio.gather(_probe_database(), _probe_redis())
    checks = {"database": database or "ok", "redis": redis or "ok"}
    failing = [part for part, problem in (("database", database), ("redis", redis)) if problem]
    # "app" lets a starter check that the process it started, not some other one on the
    # same port, is the one answering.
    body: dict[str, object] = {
        "app": runtime(current_app).name,
        "status": "unavailable" if failing else "ok",
        "checks": checks,
    }
    if failing:
        body["failing"] = failing
    return jsonify(body), 503 if failing else 200
