"""Every key the stack derives from SECRET_KEY, in one place, one key per purpose.

Each purpose gets its own key from HKDF-SHA256 (RFC 5869) with a distinct
`info` label, so a key used for one purpose says nothing about another: a
MAC computed under the CSRF key (over a value a browser chose) can never
equal the internal token, the viewer-signing key or a client secret. New
purposes add a label here; nothing else calls HKDF on SECRET_KEY.

Rotating SECRET_KEY rotates every derived key (members sign in again, apps
get new client secrets at their next start).
"""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

KEY_BYTES = 32


class Purpose(StrEnum):
    """The HKDF `info` label of each derived key; never reuse one for two purposes."""

    CSRF = "rose-ash/v2/csrf-form-token"
    INTERNAL_TOKEN = "rose-ash/v2/internal-token"
    INTERNAL_VIEWER = "rose-ash/v2/internal-viewer"
    CLIENT_SECRET = "rose-ash/v2/oauth-client-secret"
    COOKIES = "rose-ash/v2/cookie-signing"
    TOTP_SECRETS = "rose-ash/v2/totp-secrets"
    # Kept as first released: members' stored ActivityPub keys are encrypted under it.
    AP_MEMBER_KEYS = "rose-ash activitypub member keys"


@lru_cache(maxsize=64)
def derive_key(secret_key: str, purpose: Purpose, context: str = "") -> bytes:
    """The key for `purpose` (and, within it, `context`, e.g. one OAuth client's id)."""
    info = purpose.value.encode() + (b"\x00" + context.encode() if context else b"")
    return HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=info).derive(
        secret_key.encode()
    )
