"""The events app: calendars, events, ticket types, tickets and bookings."""
