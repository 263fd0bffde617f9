"""The member's signed-in devices: their provider sessions, described for a person.

Each is named on the page by a digest of its sid, never the sid itself (the
sid goes into id_tokens; the digest only means something to its member).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime

from shared.infrastructure.oidc.sessions import ProviderSessions

_BROWSERS = (
    ("Edg/", "Edge"),
    ("OPR/", "Opera"),
    ("Firefox/", "Firefox"),
    ("Chromium/", "Chromium"),
    ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
    ("curl/", "curl"),
)
_SYSTEMS = (
    ("Android", "Android"),
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Windows", "Windows"),
    ("Mac OS X", "macOS"),
    ("CrOS", "ChromeOS"),
    ("Linux", "Linux"),
)


def describe_device(user_agent: str) -> str:
    """A readable name for a User-Agent, like "Firefox on Linux"."""
    browser = next((name for marker, name in _BROWSERS if marker in user_agent), None)
    system = next((name for marker, name in _SYSTEMS if marker in user_agent), None)
    if browser and system:
        return f"{browser} on {system}"
    if browser or system:
        return str(browser or system)
    shown = re.sub(r"[^\w ./()-]", "", user_agent)[:60].strip()
    return shown or "Unknown device"


def device_digest(sid: str) -> str:
    return hashlib.sha256(f"device:{sid}".encode()).hexdigest()[:32]


@dataclass(frozen=True, slots=True)
class Device:
    digest: str
    sid: str
    name: str
    ip: str
    signed_in_at: datetime
    last_seen_at: datetime | None
    current: bool


async def list_devices(
    sessions: ProviderSessions, user_id: int, current_sid: str | None
) -> list[Device]:
    """The member's live provider sessions, this browser's first, then the latest."""
    devices = []
    for sid in await sessions.sids_of(user_id):
        found = await sessions.details(sid)
        if found is None:
            continue
        data, seen = found
        started = float(str(data.get("started_at", data.get("auth_time", 0))))
        devices.append(
            Device(
                digest=device_digest(sid),
                sid=sid,
                name=describe_device(str(data.get("user_agent", ""))),
                ip=str(data.get("ip", "")) or "unknown",
                signed_in_at=datetime.fromtimestamp(started, UTC),
                last_seen_at=datetime.fromtimestamp(seen, UTC) if seen else None,
                current=sid == current_sid,
            )
        )
    devices.sort(key=lambda d: (not d.current, -d.signed_in_at.timestamp()))
    return devices


async def find_device(
    sessions: ProviderSessions, user_id: int, digest: str, current_sid: str | None
) -> Device | None:
    """The member's device with this digest; None for anyone else's (or none at all)."""
    return next(
        (d for d in await list_devices(sessions, user_id, current_sid) if d.digest == digest),
        None,
    )
