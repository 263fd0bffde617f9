"""Wiring specific to the federation app; domain logic lives in `shared.services`."""
