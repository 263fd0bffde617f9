"""Wiring specific to the events app; domain logic lives in `shared.services`."""
