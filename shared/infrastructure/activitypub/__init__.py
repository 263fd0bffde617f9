"""ActivityPub: actors, WebFinger/NodeInfo, HTTP signatures, inboxes, the outbox table,
delivery and the EventProcessor. `install_activitypub(app, settings)` adds the routes
every app serves; `python -m shared.infrastructure.activitypub.processor` delivers."""

from __future__ import annotations

from quart import Quart

from shared.infrastructure.activitypub.context import EXTENSION_KEY, ApRuntime
from shared.infrastructure.activitypub.discovery import bp as discovery_bp
from shared.infrastructure.activitypub.keys import platform_keypair
from shared.infrastructure.activitypub.routes import bp as routes_bp
from shared.infrastructure.config import ConfigError, Settings


def install_activitypub(app: Quart, settings: Settings) -> None:
    """Serve this app's actor, inboxes, collections, objects, WebFinger and NodeInfo."""
    try:
        platform_keypair(settings)  # a bad or (in prod) missing key stops start-up here
    except ConfigError as exc:
        raise SystemExit(f"rose-ash {app.name}: configuration error: {exc}") from None
    rt = ApRuntime(app_name=app.name, settings=settings)
    app.extensions[EXTENSION_KEY] = rt
    app.before_serving(rt.open)
    app.after_serving(rt.close)
    app.register_blueprint(discovery_bp)
    app.register_blueprint(routes_bp)


__all__ = ["install_activitypub"]
