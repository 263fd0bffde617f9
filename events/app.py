"""The events app: calendars, events, ticket types, tickets and bookings."""

if not __package__:  # loaded as `app` from inside events/
    import path_setup  # noqa: F401

from quart import Quart

from events.bp.fragments import bp as fragments_bp
from events.bp.fragments.event_card import bp as event_card_bp
from events.bp.home import bp as home_bp
from shared.infrastructure.config import Settings
from shared.infrastructure.factory import create_base_app


def create_app(settings: Settings | None = None) -> Quart:
    app = create_base_app("events", settings=settings)
    app.register_blueprint(home_bp)
    app.register_blueprint(fragments_bp)
    app.register_blueprint(event_card_bp)
    return app
