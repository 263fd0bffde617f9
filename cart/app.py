"""The cart app: carts, checkout, orders and SumUp payments."""

if not __package__:  # loaded as `app` from inside cart/
    import path_setup  # noqa: F401

from quart import Quart

from cart.bp.fragments import bp as fragments_bp
from cart.bp.home import bp as home_bp
from cart.bp.lines import bp as lines_bp
from shared.infrastructure.config import Settings
from shared.infrastructure.factory import create_base_app


def create_app(settings: Settings | None = None) -> Quart:
    app = create_base_app("cart", settings=settings)
    app.register_blueprint(home_bp)
    app.register_blueprint(lines_bp)
    app.register_blueprint(fragments_bp)
    return app
