"""Wiring specific to the blog app; domain logic lives in `shared.services`."""
