"""The blog app: posts, pages, tags, authors, navigation menus, Ghost sync, RSS/Atom."""

if not __package__:  # loaded as `app` from inside blog/
    import path_setup  # noqa: F401

from quart import Quart

from blog.bp.fragments import bp as fragments_bp
from blog.bp.home import bp as home_bp
from blog.bp.navigation import bp as navigation_bp
from blog.bp.posts import bp as posts_bp
from blog.bp.tags import bp as tags_bp
from shared.infrastructure.config import Settings
from shared.infrastructure.factory import create_base_app


def create_app(settings: Settings | None = None) -> Quart:
    app = create_base_app("blog", settings=settings)
    app.register_blueprint(home_bp)
    app.register_blueprint(navigation_bp)
    app.register_blueprint(fragments_bp)
    app.register_blueprint(tags_bp)
    app.register_blueprint(posts_bp)  # /<slug>/: the more specific routes win anyway
    return app
