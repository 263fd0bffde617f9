"""The account app: the member dashboard, profile, newsletters, tickets and bookings."""

if not __package__:  # loaded as `app` from inside account/
    import path_setup  # noqa: F401

from quart import Quart

from account.bp.activity import bp as activity_bp
from account.bp.admin import bp as admin_bp
from account.bp.deletion import bp as deletion_bp
from account.bp.fragments import bp as fragments_bp
from account.bp.home import bp as home_bp
from account.bp.newsletters import bp as newsletters_bp
from account.bp.preferences import bp as preferences_bp
from account.bp.privacy import bp as privacy_bp
from account.bp.profile import bp as profile_bp
from shared.infrastructure.config import Settings
from shared.infrastructure.factory import create_base_app


def create_app(settings: Settings | None = None) -> Quart:
    app = create_base_app("account", settings=settings)
    app.register_blueprint(home_bp)
    app.register_blueprint(fragments_bp)
    app.register_blueprint(newsletters_bp)
    app.register_blueprint(preferences_bp)
    app.register_blueprint(profile_bp)
    app.register_blueprint(privacy_bp)
    app.register_blueprint(deletion_bp)
    app.register_blueprint(activity_bp)
    app.register_blueprint(admin_bp)
    return app
