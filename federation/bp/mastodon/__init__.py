"""The Mastodon client API (docs.joinmastodon.org), so Mastodon apps and libraries work
with a Rose Ash account: apps register as OAuth clients of our authorization server
(its `/oauth/authorize` and `/oauth/token`, code + PKCE), and every call here is the
social service's, with Mastodon's JSON shapes, errors and Link-header paging."""

from __future__ import annotations

from quart import Quart

from shared.infrastructure.oidc import server as oidc_server

# Mastodon's scopes, granted by our authorization server beside OpenID's.
MASTODON_SCOPES = [
    "read", "write", "follow", "push",
    "read:accounts", "read:statuses", "read:notifications", "read:follows", "read:search",
    "read:favourites", "read:blocks", "read:mutes", "read:lists", "read:bookmarks",
    "write:statuses", "write:media", "write:favourites", "write:follows", "write:blocks",
    "write:mutes", "write:notifications", "write:accounts", "write:reports",
    "write:conversations", "write:lists", "write:bookmarks", "write:filters",
    "profile",
]  # fmt: skip


def install_mastodon_api(app: Quart) -> None:
    from federation.bp.mastodon.api import bp

    for scope in MASTODON_SCOPES:
        if scope not in oidc_server.SCOPES:
            oidc_server.SCOPES.append(scope)
    app.register_blueprint(bp)
