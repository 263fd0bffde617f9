"""What the blog's layout needs beside the shared one: the footer menu, whether the
viewer is staff, and a larger body limit for the editor's image uploads only."""

from __future__ import annotations

from typing import Any

from quart import Quart, g
from quart.wrappers import Request

from shared.contracts.dtos import NavigationItemRecord
from shared.infrastructure.runtime import request_session, runtime
from shared.infrastructure.viewer import current_viewer
from shared.services.blog.staff import get_staff_member
from shared.services.registry import services

UPLOAD_PATH = "/admin/posts/upload"


def upload_request_class(app: Quart) -> type[Request]:
    """Requests as usual, except the editor's upload may be as large as an image may be
    (every other body stays under the factory's 512 KB)."""
    limit = runtime(app).settings.media.max_upload_bytes

    class BlogRequest(Request):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            path = kwargs.get("path", args[2] if len(args) > 2 else "")
            if path == UPLOAD_PATH and kwargs.get("max_content_length") is not None:
                kwargs["max_content_length"] = limit
            super().__init__(*args, **kwargs)

    return BlogRequest


def install_layout(app: Quart) -> None:
    async def footer_links() -> list[NavigationItemRecord]:
        return await services.blog.list_navigation_items(request_session(app), "secondary")

    async def blog_staff() -> bool:
        if "blog_staff" not in g:
            staff = await get_staff_member(request_session(app), current_viewer())
            g.blog_staff = staff is not None
        return bool(g.blog_staff)

    app.jinja_env.globals.update(footer_links=footer_links, blog_staff=blog_staff)
