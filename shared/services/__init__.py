"""Domain service implementations; `registry.services` is how apps reach them."""
