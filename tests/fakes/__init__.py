"""Stand-ins for external services, speaking the real protocol over loopback sockets."""
