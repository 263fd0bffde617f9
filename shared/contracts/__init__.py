"""What the domains promise each other: protocols, DTOs and fragment types."""
