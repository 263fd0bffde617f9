"""Single sign-on: federation as the OpenID provider, every app its client."""
