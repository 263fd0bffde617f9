"""`python -m shared.infrastructure.oidc register | list | rotate-secret ID | remove ID`.

The operator's tool for third-party OAuth/OIDC clients (the co-op's wiki, its
chat, a partner's site). A secret is printed once, when made; only its hash
is kept. The admin page at federation's /admin/clients does the same.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from typing import TextIO

from shared.infrastructure.bootstrap import bootstrap
from shared.infrastructure.config import ConfigError, load_settings
from shared.infrastructure.oidc.records import ClientRecord
from shared.infrastructure.oidc.registrations import (
    NewClient,
    RegisteredClient,
    RegistrationError,
    list_clients,
    register_client,
    remove_client,
    rotate_secret,
)


def _describe(client: ClientRecord, out: TextIO) -> None:
    kind = "confidential" if client.secret_hash else "public"
    print(f"client_id: {client.client_id}  ({client.name}, {kind})", file=out)
    print(f"  scope: {client.scope}", file=out)
    for uri in client.redirect_uris:
        print(f"  redirect_uri: {uri}", file=out)
    for uri in client.post_logout_redirect_uris:
        print(f"  post_logout_redirect_uri: {uri}", file=out)
    if client.backchannel_logout_uri:
        print(f"  backchannel_logout_uri: {client.backchannel_logout_uri}", file=out)


def _print_secret(made: RegisteredClient, out: TextIO) -> None:
    _describe(made.client, out)
    if made.secret:
        print(f"client_secret: {made.secret}", file=out)
        print("  (shown once: store it in the client's configuration now)", file=out)


async def run(args: argparse.Namespace, out: TextIO) -> int:
    async with bootstrap(load_settings()) as platform, platform.unit_of_work() as uow:
        if args.command == "register":
            new = NewClient(
                name=args.name,
                redirect_uris=tuple(args.redirect_uri),
                scope=args.scope,
                confidential=not args.public,
                post_logout_redirect_uris=tuple(args.post_logout_redirect_uri or ()),
                backchannel_logout_uri=args.backchannel_logout_uri,
            )
            _print_secret(await register_client(uow.session, new), out)
            return 0
        if args.command == "list":
            clients = await list_clients(uow.session)
            for client in clients:
                _describe(client, out)
            if not clients:
                print("no third-party clients", file=out)
            return 0
        if args.command == "rotate-secret":
            made = await rotate_secret(uow.session, args.client_id)
            if made is None:
                print(f"no confidential third-party client {args.client_id!r}", file=sys.stderr)
                return 1
            _print_secret(made, out)
            return 0
        if not await remove_client(uow.session, args.client_id):
            print(f"no third-party client {args.client_id!r}", file=sys.stderr)
            return 1
        print(f"removed {args.client_id} with its tokens and consents", file=out)
        return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m shared.infrastructure.oidc", description="Rose Ash OAuth clients."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    add = commands.add_parser("register", help="register a third-party client")
    add.add_argument("--name", required=True)
    add.add_argument("--redirect-uri", action="append", required=True, help="exact; repeatable")
    add.add_argument("--scope", default="openid profile email")
    add.add_argument("--public", action="store_true", help="no secret (PKCE only)")
    add.add_argument("--post-logout-redirect-uri", action="append")
    add.add_argument("--backchannel-logout-uri")
    commands.add_parser("list", help="list third-party clients")
    rotate = commands.add_parser("rotate-secret", help="a new secret; the old one stops working")
    rotate.add_argument("client_id")
    remove = commands.add_parser("remove", help="remove a client, its tokens and consents")
    remove.add_argument("client_id")
    return parser


def main(argv: Sequence[str] | None = None, out: TextIO = sys.stdout) -> int:
    args = _parser().parse_args(argv)
    try:
        return asyncio.run(run(args, out))
    except ConfigError as exc:
        print(f"rose-ash oidc: configuration error: {exc}", file=sys.stderr)
        return 2
    except RegistrationError as exc:
        print(f"rose-ash oidc: {exc.message}", file=sys.stderr)
        return 2
