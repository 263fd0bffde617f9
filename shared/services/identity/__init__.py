"""The identity domain: members (members.py), their second factors (two_factor.py)
and passkeys (passkeys.py)."""

from shared.services.identity.members import SqlIdentityService, session_is_current, user_record

__all__ = ["SqlIdentityService", "session_is_current", "user_record"]
