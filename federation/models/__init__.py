"""The federation app's models: re-exported from `shared.models.identity`, where they live."""

from shared.models.identity import (
    AccountToken,
    OAuthAuthorizationCode,
    OAuthClient,
    OAuthConsent,
    OAuthToken,
    User,
)

__all__ = [
    "AccountToken",
    "OAuthAuthorizationCode",
    "OAuthClient",
    "OAuthConsent",
    "OAuthToken",
    "User",
]
