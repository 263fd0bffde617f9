"""The cart app: carts, checkout, orders and SumUp payments."""

if not __package__:  # loaded as `app` from inside cart/
    import path_setup  # noqa: F401

from quart import Quart

from cart.bp.admin import bp as admin_bp
from cart.bp.checkout import bp as checkout_bp
from cart.bp.fragments import bp as fragments_bp
from cart.bp.home import bp as home_bp
from cart.bp.lines import bp as lines_bp
from cart.bp.orders import bp as orders_bp
from cart.bp.stalls import bp as stalls_bp
from cart.bp.webhooks import bp as webhooks_bp
from shared.contracts.money import Money, format_money
from shared.infrastructure.config import Settings
from shared.infrastructure.factory import create_base_app


def create_app(settings: Settings | None = None) -> Quart:
    app = create_base_app("cart", settings=settings)
    for blueprint in (
        home_bp,
        lines_bp,
        checkout_bp,
        orders_bp,
        webhooks_bp,
        stalls_bp,
        admin_bp,
        fragments_bp,
    ):
        app.register_blueprint(blueprint)
    # Orders store integer minor units and a currency apart.
    app.jinja_env.filters["money_of"] = lambda minor, currency: format_money(
        Money(int(minor), currency)
    )
    return app
