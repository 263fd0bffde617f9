"""The blog app: posts, pages, tags, authors, navigation menus, Ghost sync, RSS/Atom."""
