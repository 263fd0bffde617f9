"""The ActivityPub fixtures (tests/support/activitypub/fixtures.py) for this folder."""

from tests.support.activitypub.fixtures import (
    ap_settings,
    make_peer,
    peer_key,
    platform,
    platform_key,
)

__all__ = ["ap_settings", "make_peer", "peer_key", "platform", "platform_key"]
