"""The events app: calendars, events, feeds, widgets, bookings and tickets."""

if not __package__:  # loaded as `app` from inside events/
    import path_setup  # noqa: F401

from datetime import timedelta

from quart import Quart

from events.bp.bookings import bp as bookings_bp
from events.bp.calendars import bp as calendars_bp
from events.bp.feeds import bp as feeds_bp
from events.bp.fragments import bp as fragments_bp
from events.bp.fragments.event_card import bp as event_card_bp
from events.bp.fragments.member import bp as member_fragments_bp
from events.bp.home import bp as home_bp
from events.bp.manage import bp as manage_bp
from events.bp.tickets import bp as tickets_bp
from events.bp.widgets import bp as widgets_bp
from shared.infrastructure.config import Settings
from shared.infrastructure.factory import create_base_app


def create_app(settings: Settings | None = None) -> Quart:
    app = create_base_app("events", settings=settings)
    app.jinja_env.globals["one_day"] = timedelta(days=1)
    # Fixed paths first, then the `/<calendar>/...` pages they would otherwise shadow.
    fixed = (
        home_bp,
        fragments_bp,
        event_card_bp,
        member_fragments_bp,
        feeds_bp,
        widgets_bp,
        bookings_bp,
        tickets_bp,
    )
    for blueprint in fixed:
        app.register_blueprint(blueprint)
    app.register_blueprint(manage_bp)
    app.register_blueprint(calendars_bp)
    return app
