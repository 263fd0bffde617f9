"""The account app: the member dashboard, profile, newsletters, tickets and bookings."""
