"""The market app: stalls, products, categories and market pages."""

if not __package__:  # loaded as `app` from inside market/
    import path_setup  # noqa: F401

from quart import Quart

from market.bp import admin, home, imports, manage, manage_products, pages, products, search, stalls
from market.bp.fragments.member_stalls import bp as member_stalls_bp
from market.bp.fragments.product_card import bp as product_card_bp
from shared.infrastructure.config import Settings
from shared.infrastructure.factory import create_base_app


def create_app(settings: Settings | None = None) -> Quart:
    app = create_base_app("market", settings=settings)
    for module in (home, search, pages, admin, stalls, manage, manage_products, imports):
        app.register_blueprint(module.bp)
    app.register_blueprint(product_card_bp)  # the blog editor's product card
    app.register_blueprint(member_stalls_bp)  # the account dashboard's card
    app.register_blueprint(products.bp)  # last: /stalls/<stall>/<product>/ is the catch-all
    return app
