"""Key material: the platform keypair (every app actor projects it) and members' keys.

The platform key comes from the environment only (AP_PRIVATE_KEY or
AP_PRIVATE_KEY_FILE). Outside prod a missing key is generated once per
process, with a warning: fine for unit tests, useless for federation, so the
dev runner and the live tests always pass one.

Members get their own RSA keys, made with the member (the social service). Their private keys are
stored encrypted with Fernet under a key derived (HKDF) from SECRET_KEY:
a database dump alone does not reveal them. Rotating SECRET_KEY therefore
needs the member keys re-encrypted (or regenerated, which rotates them).
"""

from __future__ import annotations

import base64
import logging
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from shared.infrastructure.config import ConfigError, Settings
from shared.infrastructure.keys import Purpose, derive_key

log = logging.getLogger(__name__)

_ENCRYPTED_PREFIX = "fernet:"


@dataclass(frozen=True, slots=True)
class KeyPair:
    private_pem: str
    public_pem: str

    @property
    def private_key(self) -> rsa.RSAPrivateKey:
        return load_private_key(self.private_pem)


def generate_keypair(bits: int = 2048) -> KeyPair:
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    return keypair_of(key)


def keypair_of(key: rsa.RSAPrivateKey) -> KeyPair:
    private_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public_pem = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return KeyPair(private_pem=private_pem, public_pem=public_pem)


@lru_cache(maxsize=256)
def load_private_key(pem: str) -> rsa.RSAPrivateKey:
    key = serialization.load_pem_private_key(pem.encode(), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("only RSA keys are supported")
    return key


@lru_cache(maxsize=1024)
def load_public_key(pem: str) -> rsa.RSAPublicKey:
    key = serialization.load_pem_public_key(pem.encode())
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError("only RSA keys are supported")
    return key


_ephemeral: dict[str, KeyPair] = {}


def platform_keypair(settings: Settings) -> KeyPair:
    """The one keypair every app actor and the instance actor project.

    Raises ConfigError when prod has none or the key is not an RSA private key PEM.
    """
    ap = settings.activitypub
    pem = ap.private_key
    if not pem and ap.private_key_file:
        try:
            pem = Path(ap.private_key_file).read_text()
        except OSError as exc:
            raise ConfigError(f"AP_PRIVATE_KEY_FILE cannot be read: {exc.strerror}") from None
    if not pem:
        if settings.environment == "prod":
            raise ConfigError(
                "AP_PRIVATE_KEY (or AP_PRIVATE_KEY_FILE) is not set: give the platform's "
                "RSA private key PEM (openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048)"
            )
        if "key" not in _ephemeral:
            log.warning("no AP_PRIVATE_KEY: using a throwaway key for this process")
            _ephemeral["key"] = generate_keypair()
        return _ephemeral["key"]
    return _parse_platform_pem(pem.replace("\\n", "\n").strip() + "\n")


@lru_cache(maxsize=4)
def _parse_platform_pem(pem: str) -> KeyPair:
    try:
        return keypair_of(load_private_key(pem))
    except ValueError:
        raise ConfigError("AP_PRIVATE_KEY is not an RSA private key in PEM form") from None


def _fernet(secret_key: str) -> Fernet:
    derived = derive_key(secret_key, Purpose.AP_MEMBER_KEYS)
    return Fernet(base64.urlsafe_b64encode(derived))


def encrypt_private_key(secret_key: str, private_pem: str) -> str:
    return _ENCRYPTED_PREFIX + _fernet(secret_key).encrypt(private_pem.encode()).decode()


def decrypt_private_key(secret_key: str, stored: str) -> str:
    """The PEM of a stored member key; raises ValueError when SECRET_KEY does not open it."""
    if not stored.startswith(_ENCRYPTED_PREFIX):
        return stored  # stored in the clear by an older tool: still usable
    try:
        return _fernet(secret_key).decrypt(stored.removeprefix(_ENCRYPTED_PREFIX)).decode()
    except InvalidToken:
        raise ValueError("the member key cannot be decrypted with this SECRET_KEY") from None
