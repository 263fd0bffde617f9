"""Ghost sync: Ghost's posts, pages, tags and authors imported and kept in step.

- `upsert`: one Ghost object into our tables, keyed by Ghost id, never back in time;
- `images`: Ghost-hosted images copied into our media storage;
- `importer`: a run (full import or reconciliation), page by page with a watermark;
- `webhooks`: a signed delivery into a durable job that refetches;
- `jobs`: the job kinds and the 5-minute reconciliation;
- `runs`: watermarks, the first-import marker, run records for the admin page.

Ownership: a post that came from Ghost is Ghost's (our editor refuses to change it)
until staff detach it, after which sync leaves it alone.
"""

from __future__ import annotations

from shared.models.blog import Post


def from_ghost(post: Post) -> bool:
    """Ghost owns the post: our editor shows it read-only and the services refuse writes."""
    return post.ghost_id is not None and not post.ghost_detached
