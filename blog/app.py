"""The blog app: posts, pages, tags, authors, navigation menus, Ghost sync, RSS/Atom."""

if not __package__:  # loaded as `app` from inside blog/
    import path_setup  # noqa: F401

from quart import Quart

from blog.bp.admin_ghost import bp as admin_ghost_bp
from blog.bp.admin_posts import bp as admin_posts_bp
from blog.bp.admin_staff import bp as admin_staff_bp
from blog.bp.authors import bp as authors_bp
from blog.bp.feeds import bp as feeds_bp
from blog.bp.fragments import bp as fragments_bp
from blog.bp.ghost_webhooks import bp as ghost_webhooks_bp
from blog.bp.home import bp as home_bp
from blog.bp.navigation import bp as navigation_bp
from blog.bp.posts import bp as posts_bp
from blog.bp.search import bp as search_bp
from blog.bp.tags import bp as tags_bp
from blog.layout import install_layout, upload_request_class
from shared.infrastructure.config import Settings
from shared.infrastructure.factory import create_base_app


def create_app(settings: Settings | None = None) -> Quart:
    app = create_base_app("blog", settings=settings)
    app.request_class = upload_request_class(app)
    install_layout(app)
    app.register_blueprint(home_bp)
    app.register_blueprint(navigation_bp)
    app.register_blueprint(admin_posts_bp)
    app.register_blueprint(admin_staff_bp)
    app.register_blueprint(admin_ghost_bp)
    app.register_blueprint(ghost_webhooks_bp)
    app.register_blueprint(fragments_bp)
    app.register_blueprint(feeds_bp)
    app.register_blueprint(search_bp)
    app.register_blueprint(tags_bp)
    app.register_blueprint(authors_bp)
    app.register_blueprint(posts_bp)  # /<slug>/: the more specific routes win anyway
    return app
