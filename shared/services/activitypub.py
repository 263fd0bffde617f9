"""The old home of the social service, kept for callers outside this change (bench,
the fragment tests, publishing) until the lead's merge renames them: see
`shared.services.social`."""

from __future__ import annotations

from shared.contracts.errors import FederationError
from shared.services.social import SqlSocialService

SqlActivityPubService = SqlSocialService

__all__ = ["FederationError", "SqlActivityPubService"]
