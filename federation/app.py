"""The federation app: members and sign-in, OAuth2/OpenID Connect, ActivityPub actors."""

if not __package__:  # loaded as `app` from inside federation/
    import path_setup  # noqa: F401

from quart import Quart

from federation.bp.account_security import bp as account_security_bp
from federation.bp.clients import bp as clients_bp
from federation.bp.fragments.member_notifications import bp as member_notifications_bp
from federation.bp.home import bp as home_bp
from federation.bp.identity import bp as identity_bp
from federation.bp.mastodon import install_mastodon_api
from federation.bp.oauth import bp as oauth_bp
from federation.bp.passkeys import bp as passkeys_bp
from federation.bp.security import bp as security_bp
from federation.bp.sign_in_links import bp as sign_in_links_bp
from federation.bp.social import install_social
from federation.services.provider import install_provider
from shared.infrastructure.config import Settings
from shared.infrastructure.factory import create_base_app
from shared.infrastructure.runtime import runtime


def create_app(settings: Settings | None = None) -> Quart:
    app = create_base_app("federation", settings=settings)
    install_provider(app, runtime(app).settings)
    app.register_blueprint(oauth_bp)
    app.register_blueprint(identity_bp)
    app.register_blueprint(sign_in_links_bp)
    app.register_blueprint(security_bp)
    app.register_blueprint(account_security_bp)
    app.register_blueprint(passkeys_bp)
    app.register_blueprint(clients_bp)
    app.register_blueprint(home_bp)
    app.register_blueprint(member_notifications_bp)  # the account dashboard's card
    install_social(app)  # the hub: timelines, compose, profiles, notifications
    install_mastodon_api(app)  # the same, for Mastodon apps
    return app
