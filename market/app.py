"""The market app: stalls, products, categories and market pages."""

if not __package__:  # loaded as `app` from inside market/
    import path_setup  # noqa: F401

from quart import Quart

from market.bp.fragments.product_card import bp as product_card_bp
from market.bp.home import bp as home_bp
from shared.infrastructure.config import Settings
from shared.infrastructure.factory import create_base_app


def create_app(settings: Settings | None = None) -> Quart:
    app = create_base_app("market", settings=settings)
    app.register_blueprint(home_bp)
    app.register_blueprint(product_card_bp)
    return app
