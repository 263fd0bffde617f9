"""The scopes the authorization server grants, each with what the consent screen says.

One plain list, extended by other modules at import time (e.g. Mastodon's
`read write follow push` for the social hub's client API):
`allow_scope("read", "Read your timeline and notes")`. Discovery, the
server, client registration and the consent screen all read this list.
"""

from __future__ import annotations

SCOPE_DESCRIPTIONS: dict[str, str] = {
    "openid": "Know that it is you (your member number)",
    "profile": "See your name and username",
    "email": "See your email address",
}
# The same list object everywhere (Authlib's server keeps a reference to it).
SUPPORTED_SCOPES: list[str] = list(SCOPE_DESCRIPTIONS)


def allow_scope(name: str, description: str) -> None:
    """Let clients be registered for, and ask for, scope `name`."""
    if name not in SCOPE_DESCRIPTIONS:
        SUPPORTED_SCOPES.append(name)
    SCOPE_DESCRIPTIONS[name] = description


def unknown_scopes(scope: str) -> list[str]:
    """The scopes in `scope` this server does not grant at all."""
    return [s for s in scope.split() if s not in SCOPE_DESCRIPTIONS]
