"""The social hub's fixtures (signed-in members, the federation app) for the API tests."""

from tests.federation.bp.social.conftest import federation, member

__all__ = ["federation", "member"]
