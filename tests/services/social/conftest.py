"""The ActivityPub fixtures (tests/support/activitypub/fixtures.py) for this folder, and
the registry wired with their settings: inbound processing asks `services.social`."""

from collections.abc import Iterator

import pytest

from shared.infrastructure.config import Settings
from shared.services.registry import wire_services
from tests.support.activitypub.fixtures import (
    ap_settings,
    make_peer,
    peer_key,
    platform,
    platform_key,
)

__all__ = ["ap_settings", "make_peer", "peer_key", "platform", "platform_key"]


@pytest.fixture(autouse=True)
def wired_social(ap_settings: Settings) -> Iterator[None]:
    wire_services(ap_settings)  # the root conftest restores the wiring after the test
    yield
