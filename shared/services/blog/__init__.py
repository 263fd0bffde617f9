"""The blog domain: reading (pages, feeds, search), staff writing, navigation menus.

`SqlBlogService` is the one implementation behind `services.blog`; each
concern lives in its own module (reading.py, editing.py, publishing.py,
revisions.py, records.py, staff.py, slugs.py, rendering.py, scheduling.py).
"""

from __future__ import annotations

# Registers the scheduling job kinds in every process that can schedule a post.
from shared.services.blog import scheduling  # noqa: F401
from shared.services.blog.editing import SqlBlogEditing
from shared.services.blog.ghost_sync import jobs as ghost_jobs  # noqa: F401
from shared.services.blog.member import SqlBlogMemberData
from shared.services.blog.publishing import SqlBlogPublishing
from shared.services.blog.reading import SqlBlogReading, post_summary
from shared.services.blog.revisions import SqlBlogRevisions
from shared.services.blog.staff import SqlBlogStaff


class SqlBlogService(
    SqlBlogEditing,
    SqlBlogPublishing,
    SqlBlogRevisions,
    SqlBlogStaff,
    SqlBlogReading,
    SqlBlogMemberData,
):
    """Posts, pages, tags, authors and menus in PostgreSQL."""


__all__ = ["SqlBlogService", "post_summary"]
