"""The provider's self-description: OpenID Connect Discovery and RFC 8414 metadata."""

from __future__ import annotations

from typing import Any

from shared.infrastructure.oidc.scopes import SUPPORTED_SCOPES
from shared.infrastructure.oidc.server import CLIENT_AUTH_METHODS

AUTHORIZE_PATH = "/oauth/authorize"
TOKEN_PATH = "/oauth/token"
REVOCATION_PATH = "/oauth/revoke"
INTROSPECTION_PATH = "/oauth/introspect"
USERINFO_PATH = "/oauth/userinfo"
JWKS_PATH = "/oauth/jwks"
END_SESSION_PATH = "/oauth/logout"


def provider_metadata(issuer: str) -> dict[str, Any]:
    """One document for both /.well-known/openid-configuration and
    /.well-known/oauth-authorization-server."""
    return {
        "issuer": issuer,
        "authorization_endpoint": issuer + AUTHORIZE_PATH,
        "token_endpoint": issuer + TOKEN_PATH,
        "userinfo_endpoint": issuer + USERINFO_PATH,
        "jwks_uri": issuer + JWKS_PATH,
        "revocation_endpoint": issuer + REVOCATION_PATH,
        "introspection_endpoint": issuer + INTROSPECTION_PATH,
        "end_session_endpoint": issuer + END_SESSION_PATH,
        "scopes_supported": SUPPORTED_SCOPES,
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "token_endpoint_auth_methods_supported": CLIENT_AUTH_METHODS,
        "revocation_endpoint_auth_methods_supported": CLIENT_AUTH_METHODS,
        "introspection_endpoint_auth_methods_supported": CLIENT_AUTH_METHODS,
        "code_challenge_methods_supported": ["S256"],
        "claims_supported": [
            "sub",
            "iss",
            "aud",
            "exp",
            "iat",
            "auth_time",
            "nonce",
            "sid",
            "azp",
            "name",
            "preferred_username",
            "email",
            "email_verified",
        ],
        "prompt_values_supported": ["none", "login", "consent"],
        "authorization_response_iss_parameter_supported": True,
        "backchannel_logout_supported": True,
        "backchannel_logout_session_supported": True,
        "request_parameter_supported": False,
        "request_uri_parameter_supported": False,
        "claims_parameter_supported": False,
    }
