"""Blueprints of the cart app, one module per resource."""
