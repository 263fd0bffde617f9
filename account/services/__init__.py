"""Wiring specific to the account app; domain logic lives in `shared.services`."""
