"""Wiring specific to the market app; domain logic lives in `shared.services`."""
