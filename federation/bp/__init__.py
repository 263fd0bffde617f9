"""Blueprints of the federation app, one module per resource."""
