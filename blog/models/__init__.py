"""The blog app's models: re-exported from `shared.models.blog`, where they live."""

from shared.models.blog import Author, GhostSyncState, NavigationItem, Post, PostTag, Tag

__all__ = [
    "Author",
    "GhostSyncState",
    "NavigationItem",
    "Post",
    "PostTag",
    "Tag",
]
