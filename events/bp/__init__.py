"""Blueprints of the events app, one module per resource."""
