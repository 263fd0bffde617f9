"""A scripted stand-in for another fediverse server, on a loopback address of its own.

It serves the actors a test gives it (with their public keys), records every POST to
their inboxes, answers with a scripted status (202 by default), and checks what it
receives with verifiers we did not write: bovine's for draft-cavage signatures,
http-message-signatures' for RFC 9421. `rfc9421_only` makes it refuse cavage with
401, as a server that speaks only RFC 9421 would.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx
from aiohttp import web
from bovine.crypto import build_validate_http_signature_raw
from bovine.crypto.types import CryptographicIdentifier
from http_message_signatures import HTTPMessageVerifier, HTTPSignatureKeyResolver, algorithms
from http_message_signatures.structures import CaseInsensitiveDict

from shared.infrastructure.activitypub.keys import KeyPair, load_public_key

AS_JSON = "application/activity+json"


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    verified_by: str | None  # "bovine" or "http-message-signatures" when a check passed
    signer: str | None

    @property
    def activity(self) -> dict[str, Any]:
        return dict(json.loads(self.body))


@dataclass
class StandInActor:
    server: StandInServer
    name: str
    key: KeyPair

    @property
    def id(self) -> str:
        return f"{self.server.base_url}/users/{self.name}"

    @property
    def key_id(self) -> str:
        return f"{self.id}#main-key"

    @property
    def inbox(self) -> str:
        return f"{self.id}/inbox"

    def document(self, shared_inbox: bool) -> dict[str, Any]:
        document: dict[str, Any] = {
            "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
            "id": self.id,
            "type": "Person",
            "preferredUsername": self.name,
            "inbox": self.inbox,
            "outbox": f"{self.id}/outbox",
            "followers": f"{self.id}/followers",
            "following": f"{self.id}/following",
            "publicKey": {"id": self.key_id, "owner": self.id, "publicKeyPem": self.key.public_pem},
        }
        if shared_inbox:
            document["endpoints"] = {"sharedInbox": f"{self.server.base_url}/inbox"}
        return document


class _Keys(HTTPSignatureKeyResolver):
    def __init__(self, pem: str) -> None:
        self.pem = pem

    def resolve_public_key(self, key_id: str):  # type: ignore[no-untyped-def]
        return load_public_key(self.pem)

    def resolve_private_key(self, key_id: str):  # type: ignore[no-untyped-def]
        raise NotImplementedError


class _Message:
    def __init__(self, method: str, url: str, headers: dict[str, str]) -> None:
        self.method, self.url, self.headers = method, url, CaseInsensitiveDict(headers)


@dataclass
class StandInServer:
    host: str
    verify: bool = True
    shared_inbox: bool = True
    rfc9421_only: bool = False
    delay: float = 0.0
    # Authorized fetch, like GoToSocial: actors only for a GET signed (checked by bovine).
    require_signed_get: bool = False
    signed_gets: list[str] = field(default_factory=list)
    actors: dict[str, StandInActor] = field(default_factory=dict)
    # Any other JSON to serve, by path (a forged actor, a bare key, ...).
    documents: dict[str, dict[str, Any]] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)
    scripts: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    port: int = 0
    _runner: web.AppRunner | None = None
    _keys: dict[str, str] = field(default_factory=dict)

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def add_actor(self, name: str, key: KeyPair) -> StandInActor:
        actor = StandInActor(self, name, key)
        self.actors[name] = actor
        return actor

    def respond(self, path: str, *statuses: int) -> None:
        """Answer the next POSTs to `path` with these statuses, then 202."""
        self.scripts[path].extend(statuses)

    def posts_to(self, path_prefix: str = "") -> list[Received]:
        return [r for r in self.received if r.path.startswith(path_prefix)]

    async def start(self) -> StandInServer:
        app = web.Application(client_max_size=2**20)
        app.router.add_get("/users/{name}", self._get_actor)
        app.router.add_post("/users/{name}/inbox", self._post_inbox)
        app.router.add_post("/inbox", self._post_inbox)
        app.router.add_get("/redirect", self._redirect)
        app.router.add_get("/documents/{name}", self._get_document)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _get_actor(self, request: web.Request) -> web.Response:
        actor = self.actors.get(request.match_info["name"])
        if self.require_signed_get:
            headers = {name.lower(): value for name, value in request.headers.items()}
            url = f"http://{headers.get('host', self.host)}{request.path_qs}"
            try:
                check = build_validate_http_signature_raw(self._retrieve)
                owner = await check("get", url, headers, None)
            except Exception:  # bovine 0.5.19 cannot parse RFC 9421 with http-sf 1.5
                owner = None
            if not owner:
                return web.json_response({"error": "sign your GET"}, status=401)
            self.signed_gets.append(owner)
        if actor is None:
            return web.json_response({"error": "not found"}, status=404)
        body = json.dumps(actor.document(self.shared_inbox))
        return web.Response(text=body, content_type=AS_JSON)

    async def _redirect(self, request: web.Request) -> web.Response:
        """An open redirect, as many servers have one: /redirect?to=<anywhere>."""
        raise web.HTTPFound(request.query["to"])

    async def _get_document(self, request: web.Request) -> web.Response:
        document = self.documents.get(request.path)
        if document is None:
            return web.json_response({"error": "not found"}, status=404)
        return web.Response(text=json.dumps(document), content_type=AS_JSON)

    async def _public_key(self, key_id: str) -> str:
        if key_id not in self._keys:
            async with httpx.AsyncClient() as client:
                response = await client.get(key_id.split("#")[0], headers={"Accept": AS_JSON})
            self._keys[key_id] = response.json()["publicKey"]["publicKeyPem"]
        return self._keys[key_id]

    async def _retrieve(self, key_id: str) -> CryptographicIdentifier:
        return CryptographicIdentifier.from_pem(
            await self._public_key(key_id), key_id.split("#")[0]
        )

    async def _check(self, request: web.Request, body: bytes) -> tuple[str | None, str | None]:
        headers = {name.lower(): value for name, value in request.headers.items()}
        url = f"http://{headers.get('host', self.host)}{request.path_qs}"
        if "signature-input" in headers:
            key_id = headers["signature-input"].split('keyid="', 1)[1].split('"', 1)[0]
            verifier = HTTPMessageVerifier(
                signature_algorithm=algorithms.RSA_V1_5_SHA256,
                key_resolver=_Keys(await self._public_key(key_id)),
            )
            try:
                verifier.verify(
                    _Message("POST", url, headers), body=body, max_age=timedelta(minutes=5)
                )
            except Exception:
                return None, None
            return "http-message-signatures", key_id
        if self.rfc9421_only:
            return None, None

        async def read() -> bytes:
            return body

        owner = await build_validate_http_signature_raw(self._retrieve)("post", url, headers, read)
        return ("bovine", owner) if owner else (None, None)

    async def _post_inbox(self, request: web.Request) -> web.Response:
        body = await request.read()
        verified_by, signer = await self._check(request, body) if self.verify else (None, None)
        if self.verify and verified_by is None:
            return web.json_response({"error": "signature"}, status=401)
        self.received.append(
            Received(request.path, dict(request.headers), body, verified_by, signer)
        )
        if self.delay:
            await asyncio.sleep(self.delay)
        script = self.scripts[request.path]
        status = script.pop(0) if script else 202
        return web.json_response({"status": status}, status=status)


async def eventually(
    check: Callable[[], Any], within: float = 30.0, what: str | Callable[[], str] = ""
) -> Any:
    """Poll `check` (sync or async) until it returns something truthy; fail after `within`
    seconds saying `what` (a callable is called then: logs as they are at the end)."""
    deadline = time.monotonic() + within
    while True:
        result = check()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return result
        if time.monotonic() > deadline:
            said = what() if callable(what) else what
            raise AssertionError(f"timed out waiting for {said or check}")
        await asyncio.sleep(0.1)
