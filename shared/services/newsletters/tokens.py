"""Confirmation links: a stateless signed token with an expiry (itsdangerous).

Nothing is stored when a visitor asks to subscribe; the link carries the
address and the newsletters, signed with the platform's secret. A link works
once: confirming stores a hash of the token on each subscription it makes, and
a token whose hash is already stored is refused (a replay after unsubscribing
subscribes nobody again).
"""

from __future__ import annotations

import hashlib
from typing import Any

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from shared.contracts.newsletters import InvalidLink, PendingSubscription

CONFIRM_SALT = "rose-ash.newsletters.confirm"
CONFIRM_MAX_AGE = 48 * 3600  # seconds a confirmation link stays good


def _serializer(secret: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt=CONFIRM_SALT)


def make_confirm_token(secret: str, email: str, newsletter_ids: tuple[int, ...]) -> str:
    return _serializer(secret).dumps({"e": email, "n": list(newsletter_ids)})


def read_confirm_token(
    secret: str, token: str, max_age: int = CONFIRM_MAX_AGE
) -> PendingSubscription:
    """What the token asks for; InvalidLink when it is forged, malformed or expired."""
    try:
        data: Any = _serializer(secret).loads(token, max_age=max_age)
    except SignatureExpired as exc:
        raise InvalidLink(
            "This confirmation link has expired. Subscribe again to get a new one."
        ) from exc
    except BadSignature as exc:
        raise InvalidLink("This confirmation link is not valid.") from exc
    email, ids = data.get("e"), data.get("n")
    if not isinstance(email, str) or not isinstance(ids, list) or not ids:
        raise InvalidLink("This confirmation link is not valid.")
    if not all(isinstance(i, int) for i in ids):
        raise InvalidLink("This confirmation link is not valid.")
    return PendingSubscription(email=email, newsletter_ids=tuple(ids), token=token)


def token_hash(token: str, newsletter_id: int) -> str:
    """What a confirmed subscription keeps of its link: per newsletter (the column is unique)."""
    return hashlib.sha256(f"{newsletter_id}:{token}".encode()).hexdigest()
