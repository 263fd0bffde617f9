"""What Authlib's hooks see: clients, codes and tokens as plain records.

They implement Authlib's model mixins over data loaded before the hooks run
(see `server.py`), so no hook ever touches the database.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from authlib.oauth2.rfc6749 import ClientMixin, TokenMixin
from authlib.oauth2.rfc6749.util import list_to_scope, scope_to_list
from authlib.oidc.core import AuthorizationCodeMixin

from shared.contracts.dtos import UserRecord
from shared.infrastructure.oidc.clients import check_client_secret

SECRET_AUTH_METHODS = ("client_secret_basic", "client_secret_post")


def digest(value: str) -> str:
    """How codes and tokens are stored: never as themselves."""
    return hashlib.sha256(value.encode()).hexdigest()


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, eq=False)
class ClientRecord(ClientMixin):
    id: int
    client_id: str
    name: str
    secret_hash: str | None
    redirect_uris: tuple[str, ...]
    post_logout_redirect_uris: tuple[str, ...]
    backchannel_logout_uri: str | None
    scope: str
    is_first_party: bool

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> None:
        # OpenID Connect requires redirect_uri on every request: no default.
        return None

    def get_allowed_scope(self, scope: str | None) -> str:
        allowed = set(scope_to_list(self.scope))
        return list_to_scope([s for s in scope_to_list(scope or "") if s in allowed])

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        # Exact string matching (OAuth 2.1): no prefixes, no wildcards.
        return redirect_uri in self.redirect_uris

    def check_client_secret(self, client_secret: str) -> bool:
        return check_client_secret(self.secret_hash, client_secret)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        if self.secret_hash:
            return method in SECRET_AUTH_METHODS
        return method == "none"

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in ("authorization_code", "refresh_token")

    @property
    def client_metadata(self) -> dict[str, Any]:
        return {"post_logout_redirect_uris": list(self.post_logout_redirect_uris)}


@dataclass(frozen=True, eq=False)
class AuthorizationCodeRecord(AuthorizationCodeMixin):
    id: int
    client_pk: int
    user_id: int
    redirect_uri: str
    scope: str
    nonce: str | None
    code_challenge: str
    code_challenge_method: str
    session_id: str | None
    auth_time: datetime | None
    expires_at: datetime
    used_at: datetime | None

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope

    def get_nonce(self) -> str | None:
        return self.nonce

    def get_auth_time(self) -> int | None:
        return int(self.auth_time.timestamp()) if self.auth_time else None

    def is_expired(self) -> bool:
        return self.expires_at <= _now()


@dataclass(frozen=True, eq=False)
class TokenRecord(TokenMixin):
    id: int
    client_pk: int
    user_id: int
    scope: str
    family_id: uuid.UUID
    authorization_code_id: int | None
    session_id: str | None
    issued_at: datetime
    access_expires_at: datetime
    refresh_expires_at: datetime | None
    rotated_at: datetime | None
    revoked_at: datetime | None
    presented_as: Literal["access_token", "refresh_token"]
    client: ClientRecord | None = field(default=None)
    user: UserRecord | None = field(default=None)

    def check_client(self, client: ClientRecord) -> bool:
        return client.id == self.client_pk

    def get_scope(self) -> str:
        return self.scope

    def get_expires_in(self) -> int:
        return int((self.access_expires_at - self.issued_at).total_seconds())

    def expires_at(self) -> datetime | None:
        if self.presented_as == "refresh_token":
            return self.refresh_expires_at
        return self.access_expires_at

    def is_expired(self) -> bool:
        expires = self.expires_at()
        return expires is None or expires <= _now()

    def is_revoked(self) -> bool:
        if self.revoked_at is not None:
            return True
        # A rotated refresh token is spent; its access token lives out its time.
        return self.presented_as == "refresh_token" and self.rotated_at is not None

    def get_user(self) -> UserRecord | None:
        return self.user

    def get_client(self) -> ClientRecord | None:
        return self.client
