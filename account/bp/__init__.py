"""Blueprints of the account app, one module per resource."""
