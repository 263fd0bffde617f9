"""A Ghost stand-in for dev and tests (reference/integrations.md §B): see server.py."""

from shared.dev.ghost.server import GhostStandIn

__all__ = ["GhostStandIn"]
