"""Settings specific to the account app."""
