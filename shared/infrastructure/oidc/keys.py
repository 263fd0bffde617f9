"""The RSA key that signs id_tokens and logout tokens, and the JWKS that publishes it.

In prod the key must be configured (OIDC_PRIVATE_KEY or OIDC_PRIVATE_KEY_FILE):
every federation process must sign with the same key, and it must survive
restarts. In dev and test, with none configured, each process makes a
throwaway one and says so (`make dev` keeps a real one in its state dir).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from joserfc.jwk import KeySet, RSAKey

from shared.infrastructure.config import ConfigError, Settings

log = logging.getLogger(__name__)
ALGORITHM = "RS256"


@dataclass(frozen=True)
class SigningKey:
    key: RSAKey

    @property
    def kid(self) -> str:
        return self.key.thumbprint()

    def public_jwks(self) -> dict[str, Any]:
        public = self.key.as_dict(private=False)
        return {"keys": [{**public, "kid": self.kid, "use": "sig", "alg": ALGORITHM}]}

    def public_key_set(self) -> KeySet:
        return KeySet.import_key_set(self.public_jwks())  # type: ignore[arg-type]


def _read_pem(settings: Settings) -> str | None:
    oidc = settings.oidc
    if oidc.private_key:
        return oidc.private_key.replace("\\n", "\n")
    if oidc.private_key_file:
        try:
            return Path(oidc.private_key_file).read_text()
        except OSError as exc:
            raise ConfigError(
                f"OIDC_PRIVATE_KEY_FILE ({oidc.private_key_file}) cannot be read: {exc.strerror}"
            ) from None
    return None


def load_signing_key(settings: Settings) -> SigningKey:
    """The configured key; a throwaway one outside prod; ConfigError in prod without one."""
    pem = _read_pem(settings)
    if pem is None:
        if settings.environment == "prod":
            raise ConfigError(
                "OIDC_PRIVATE_KEY is not set: give federation an RSA private key in PEM "
                "(openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048), "
                "or a file holding one in OIDC_PRIVATE_KEY_FILE"
            )
        log.warning("OIDC_PRIVATE_KEY is not set: signing with a throwaway key of this process")
        return SigningKey(RSAKey.generate_key(2048, private=True))
    try:
        key = RSAKey.import_key(pem)
    except Exception:
        raise ConfigError(
            "OIDC_PRIVATE_KEY is invalid: expected an RSA private key in PEM"
        ) from None
    if not key.is_private:
        raise ConfigError("OIDC_PRIVATE_KEY is invalid: it is a public key, not a private one")
    return SigningKey(key)


def generate_private_key_pem() -> str:
    """A new 2048-bit RSA private key in PEM (for `make dev`)."""
    return RSAKey.generate_key(2048, private=True).as_pem(private=True).decode()
