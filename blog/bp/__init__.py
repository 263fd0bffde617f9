"""Blueprints of the blog app, one module per resource."""
