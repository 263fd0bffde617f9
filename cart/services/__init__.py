"""Wiring specific to the cart app; domain logic lives in `shared.services`."""
