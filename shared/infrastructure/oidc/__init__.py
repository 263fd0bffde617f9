"""federation's OAuth 2.1 authorization server and OpenID Connect provider.

Authlib's framework-neutral server core does the protocol; this package
adapts it to Quart (see `server.py` for how its synchronous hooks meet our
asynchronous database), keeps the signing key, the single sign-on session,
and ends sessions everywhere with back-channel logout.
"""
