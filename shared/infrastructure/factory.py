"""`create_base_app(name)`: every Rose Ash app is built here, the same way.

The order below is the order things depend on each other: configuration,
logging, the platform (database, Redis, HTTP clients, the services registry:
shared/infrastructure/bootstrap.py), templates, security, blueprints every
app has, error pages.
"""

from __future__ import annotations

import gc
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from hypercorn.middleware import ProxyFixMiddleware
from quart import Quart, Response
from quart.sessions import SecureCookieSessionInterface, SessionMixin
from quart.wrappers import BaseRequestWebsocket
from werkzeug.wrappers import Response as WerkzeugResponse

import shared.models  # noqa: F401  (every model, so cross-domain relationships resolve)
from shared.infrastructure.activitypub import install_activitypub
from shared.infrastructure.bootstrap import bootstrap
from shared.infrastructure.config import APP_NAMES, ConfigError, Settings, load_settings
from shared.infrastructure.errors import install_error_handlers
from shared.infrastructure.fragments import install_fragments
from shared.infrastructure.health import bp as health_bp
from shared.infrastructure.jinja import configure_jinja
from shared.infrastructure.media import install_media
from shared.infrastructure.oauth import install_sso
from shared.infrastructure.page_cache_serving import install_page_cache
from shared.infrastructure.runtime import EXTENSION_KEY, close_request_session, runtime
from shared.infrastructure.security import (
    configure_logging,
    csrf_token,
    install_security,
    wrap_with_headers,
)
from shared.infrastructure.viewer import current_viewer

REPO_ROOT = Path(__file__).resolve().parents[2]
SHARED_STATIC = REPO_ROOT / "shared" / "static"

APP_LABELS = {
    "blog": "Blog",
    "market": "Market",
    "events": "Events",
    "federation": "Social",
    "account": "Account",
    "cart": "Cart",
}


@dataclass(frozen=True, slots=True)
class AppLink:
    name: str
    label: str
    base_url: str


def _settings_or_exit(name: str) -> Settings:
    try:
        return load_settings()
    except ConfigError as exc:
        # One line an operator can act on, not a traceback.
        raise SystemExit(f"rose-ash {name}: configuration error: {exc}") from None


class NoSessions(SecureCookieSessionInterface):
    """Never opens a session, so Quart hands each request its null session."""

    async def open_session(self, app: Quart, request: BaseRequestWebsocket) -> None:
        return None

    async def save_session(
        self, app: Quart, session: SessionMixin, response: Response | WerkzeugResponse | None
    ) -> None:
        return None


# Python's own thresholds, to give back when an app stops in a process that goes on.
_COLLECTOR_DEFAULTS = gc.get_threshold()
# A young collection once 10,000 objects are new, not 700. Measured under load on /healthz
# (wrk, 16 connections, after real pages had been served): 700 made one collection every
# ~17 requests and cost ~11 us a request (7 young, 4 full: every full one walked the ~26,000
# objects the first pages left, templates and caches); 10,000 cost 1.6 us and ran no full
# collection in 14,000 requests, with p99 unchanged. The price is at most ~10,000 young
# objects waiting, a few MB, in a process of ~150 MB.
_YOUNG_THRESHOLD = 10_000


async def _tune_collector() -> None:
    """Keep what startup built (modules, templates, the SQLAlchemy and Redis parts: most
    of the heap, and all of it alive until exit) out of the garbage collector's scans, and
    collect the young generation less often.

    Without the freeze every full collection walks that heap while a request waits
    (measured under load: /healthz's p99 76 ms against a bare Quart route's 11 ms). No
    collection first: freezing is a constant-time move of the collector's lists, and a
    collection on every start would cost the test suite, which starts an app per test.
    What startup made and drops later (its first pooled connections, replaced after a
    database restart) is never collected: a few objects, once. Templates are never
    dropped: an app has at most about 60, and Jinja's cache holds 400.
    """
    gc.freeze()
    gc.set_threshold(_YOUNG_THRESHOLD, *_COLLECTOR_DEFAULTS[1:])


async def _untune_collector() -> None:
    # An app stopped in a process that goes on (the tests start hundreds): what it froze
    # can be collected again, on Python's own schedule.
    gc.unfreeze()
    gc.set_threshold(*_COLLECTOR_DEFAULTS)


def create_base_app(name: str, *, settings: Settings | None = None) -> Quart:
    if name not in APP_NAMES:
        raise ValueError(f"unknown app {name!r}; expected one of {', '.join(APP_NAMES)}")
    settings = settings or _settings_or_exit(name)
    configure_logging(name)

    app = Quart(
        name,
        static_folder=str(SHARED_STATIC),
        static_url_path="/static",
        template_folder=None,
    )
    # Nothing here uses Quart's signed-cookie session (sign-on keeps its own server-side
    # sessions): opening it cost ~14% of /healthz. A null session fails loudly on use.
    app.session_interface = NoSessions()
    app.config.update(
        SECRET_KEY=settings.secret_key,
        # Our largest form is a few KB and nothing uploads files; an inbox takes
        # 256 KB (activitypub/receiving.py). Quart buffers a body up to this.
        MAX_CONTENT_LENGTH=512 * 1024,
        SEND_FILE_MAX_AGE_DEFAULT=timedelta(hours=1),
    )

    # The process's parts and the services registry (wired once per process).
    platform = bootstrap(settings, name=name)
    app.extensions[EXTENSION_KEY] = platform
    app.before_serving(platform.open)
    app.after_serving(platform.close)
    app.teardown_appcontext(close_request_session)

    configure_jinja(app, REPO_ROOT / name / "templates")
    _install_template_context(app, settings)
    install_security(app, settings)
    install_sso(app, settings)
    install_fragments(app, settings)
    install_activitypub(app, settings)
    install_media(app)
    app.register_blueprint(health_bp)
    # Before the proxy middleware: it must see the visitor's scheme and host.
    install_page_cache(app, settings)
    install_error_handlers(app)
    # Registered last, so it runs once every other startup hook has built its parts.
    app.before_serving(_tune_collector)
    app.after_serving(_untune_collector)
    # Around the page cache, so that a hit has the same headers as a render.
    wrap_with_headers(app, settings)
    if settings.trusted_proxy_hops:
        # Behind Caddy every request comes from the proxy's address: take the
        # member's address (rate limits, logs) and scheme from its headers.
        app.asgi_app = ProxyFixMiddleware(  # type: ignore[method-assign]
            app.asgi_app, mode="legacy", trusted_hops=settings.trusted_proxy_hops
        )
    return app


def _install_template_context(app: Quart, settings: Settings) -> None:
    order = ("blog", "market", "events", "federation", "account", "cart")
    apps = [AppLink(n, APP_LABELS[n], settings.apps[n].base_url) for n in order]
    by_name = {link.name: link for link in apps}

    def has_endpoint(endpoint: str) -> bool:
        return endpoint in app.view_functions

    @app.context_processor
    async def layout_context() -> dict[str, object]:
        return {
            "site": settings.site,
            "app_name": runtime(app).name,
            "apps": apps,
            "apps_by_name": by_name,
            "current_user": current_viewer(),
            "csrf_token": csrf_token,
            "has_endpoint": has_endpoint,
        }
