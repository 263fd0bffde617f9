"""Blueprints of the market app, one module per resource."""
