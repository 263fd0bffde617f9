"""ActivityPub: actors, WebFinger/NodeInfo, HTTP signatures, inboxes, the outbox table,
delivery and the EventProcessor. `install_activitypub(app, settings)` adds the routes
every app serves; the worker (`python -m shared.infrastructure.jobs run`) delivers."""

from __future__ import annotations

from quart import Quart

from shared.infrastructure.config import ConfigError, Settings


def install_activitypub(app: Quart, settings: Settings) -> None:
    """Serve this app's actor, inboxes, collections, objects, WebFinger and NodeInfo."""
    # Imported here: the routes enqueue jobs, and the jobs package imports this one's
    # HTTP client, so importing the routes with the package would be a cycle.
    from shared.infrastructure.activitypub.context import EXTENSION_KEY, ApRuntime
    from shared.infrastructure.activitypub.discovery import bp as discovery_bp
    from shared.infrastructure.activitypub.keys import platform_keypair
    from shared.infrastructure.activitypub.routes import bp as routes_bp
    from shared.infrastructure.runtime import runtime

    try:
        platform_keypair(settings)  # a bad or (in prod) missing key stops start-up here
    except ConfigError as exc:
        raise SystemExit(f"rose-ash {app.name}: configuration error: {exc}") from None
    app.extensions[EXTENSION_KEY] = ApRuntime(app.name, settings, runtime(app))
    app.register_blueprint(discovery_bp)
    app.register_blueprint(routes_bp)


__all__ = ["install_activitypub"]
