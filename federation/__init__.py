"""The federation app: members and sign-in, OAuth2/OpenID Connect, ActivityPub actors."""
