"""The Mastodon client API (docs.joinmastodon.org), so Mastodon apps and libraries work
with a Rose Ash account: apps register as OAuth clients of our authorization server
(its `/oauth/authorize` and `/oauth/token`, code + PKCE), and every call here is the
social service's, with Mastodon's JSON shapes, errors and Link-header paging."""

from __future__ import annotations

from quart import Quart

from shared.infrastructure.oidc.scopes import allow_scope

# Mastodon's scopes, granted by our authorization server beside OpenID's; each with what
# the consent screen says of it.
MASTODON_SCOPES = {
    "read": "Read your timelines, posts, notifications and who you follow",
    "write": "Post, favourite, boost, follow and change things in your account",
    "follow": "Follow, unfollow, mute and block accounts",
    "push": "Send you push notifications",
}
_SUB_SCOPES = {
    "read": (
        "accounts", "statuses", "notifications", "follows", "search", "favourites",
        "blocks", "mutes", "lists", "bookmarks",
    ),
    "write": (
        "statuses", "media", "favourites", "follows", "blocks", "mutes", "notifications",
        "accounts", "reports", "conversations", "lists", "bookmarks", "filters",
    ),
}  # fmt: skip
_VERBS = {"read": "Read", "write": "Change"}


def install_mastodon_api(app: Quart) -> None:
    from federation.bp.mastodon.api import bp

    for scope, description in MASTODON_SCOPES.items():
        allow_scope(scope, description)
    for parent, names in _SUB_SCOPES.items():
        for name in names:
            allow_scope(f"{parent}:{name}", f"{_VERBS[parent]} your {name}")
    app.register_blueprint(bp)
