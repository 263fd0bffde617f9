"""Outgoing HTTP to other servers, made safe: every fetch and delivery goes through here.

* timeouts on connect, read and write;
* a body limit (1 MB by default) enforced while streaming, not after;
* redirects followed by hand, at most N, each hop checked again and re-signed;
* a JSON document's `id` must be on the origin that finally served it;
* no request to a private, loopback, link-local or otherwise internal address
  unless the `fetch_allow_networks` setting lists it (tests and dev do).

The address check resolves the host name first (results cached for a minute,
at most 1024 names, so a delivery burst does not hammer the resolver), and the connection itself
resolves through `GuardedResolver`, which checks again the very addresses it
connects to: a name that answers a public address to the check and an
internal one to the connection (DNS rebinding) is still refused.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import socket
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

import aiohttp
import aiohttp.abc

from shared.infrastructure.activitypub.limits import BoundedTtlCache, InboundLimits
from shared.infrastructure.activitypub.signatures import sign_request, sign_request_rfc9421
from shared.infrastructure.config import ActivityPubSettings

USER_AGENT = "RoseAsh/0.1 (+https://rose-ash.com)"
AP_ACCEPT = 'application/activity+json, application/ld+json; profile="https://www.w3.org/ns/activitystreams"'
_JSON_TYPES = ("application/activity+json", "application/ld+json", "application/json")
_RESOLVE_TTL = 60.0
_RESOLVE_ENTRIES = 1024

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class FetchError(Exception):
    """A fetch or delivery could not be made or answered badly; `status` when one came back."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class BlockedAddressError(FetchError):
    """The URL points at an address we may not reach (private, loopback, ...)."""


@dataclass(frozen=True, slots=True)
class Signer:
    """Who signs a request: the key id and its RSA private key."""

    key_id: str
    private_key: Any  # rsa.RSAPrivateKey; Any keeps this module free of the crypto types


@dataclass(frozen=True, slots=True)
class Response:
    status: int
    headers: Mapping[str, str]  # names in lower case
    body: bytes
    url: str

    def json(self) -> Any:
        return json.loads(self.body)


def origin_of(url: str) -> tuple[str, str, int | None]:
    """Scheme, host and port of a URL (the port as written; None when absent or bad)."""
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = None
    return parts.scheme.lower(), (parts.hostname or "").lower(), port


def parse_networks(value: str) -> tuple[IPNetwork, ...]:
    return tuple(
        ipaddress.ip_network(part.strip(), strict=False)
        for part in value.split(",")
        if part.strip()
    )


def is_public_address(address: IPAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


class AddressGuard:
    """Decides whether a host may be reached; caches resolutions briefly."""

    def __init__(self, allowed: Iterable[IPNetwork]) -> None:
        self.allowed = tuple(allowed)
        # Bounded: every host name a peer makes us resolve stays at most a minute,
        # and at most _RESOLVE_ENTRIES of them at once.
        self._cache: BoundedTtlCache[list[IPAddress]] = BoundedTtlCache(
            _RESOLVE_TTL, _RESOLVE_ENTRIES
        )

    async def check(self, url: str) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise BlockedAddressError(f"not an http(s) URL: {url}")
        for address in await self._resolve(parts.hostname, parts.port or 443):
            self.require_allowed(parts.hostname, address)

    def require_allowed(self, host: str, address: IPAddress) -> None:
        if not is_public_address(address) and not any(address in n for n in self.allowed):
            raise BlockedAddressError(f"{host} resolves to internal {address}")

    async def _resolve(self, host: str, port: int) -> list[IPAddress]:
        try:
            return [ipaddress.ip_address(host.strip("[]"))]
        except ValueError:
            pass
        cached = self._cache.get(host)
        if cached is not None:
            return cached
        loop = asyncio.get_running_loop()
        try:
            infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError as exc:
            raise FetchError(f"cannot resolve {host}: {exc}") from None
        addresses = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]
        self._cache.set(host, addresses)
        return addresses


class GuardedResolver(aiohttp.abc.AbstractResolver):
    """aiohttp's resolver, refusing any answer the guard does not allow."""

    def __init__(self, guard: AddressGuard) -> None:
        self._guard = guard
        self._inner = aiohttp.ThreadedResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[aiohttp.abc.ResolveResult]:
        results = await self._inner.resolve(host, port, family)
        for result in results:
            self._guard.require_allowed(host, ipaddress.ip_address(result["host"]))
        return results

    async def close(self) -> None:
        await self._inner.close()


class FederationClient:
    """The one HTTP client for other servers. Open it once per process; `aclose()` at the end."""

    def __init__(self, settings: ActivityPubSettings, *, max_connections: int = 100) -> None:
        self.max_bytes = settings.fetch_max_bytes
        self.max_redirects = settings.fetch_max_redirects
        self.guard = AddressGuard(parse_networks(settings.fetch_allow_networks))
        # Hosts that answered an RFC 9421 signature (sign that way first next time);
        # bounded, as everything a remote server can make this process remember.
        self._rfc9421_hosts: BoundedTtlCache[bool] = BoundedTtlCache(ttl=86_400)
        # What this process allows other servers to make it do (key fetches, inboxes).
        self.limits = InboundLimits()
        timeout = settings.fetch_timeout_seconds
        # aiohttp, not httpx: a delivery worker keeps dozens of requests in flight, and
        # httpx's connection pool slows down sharply under that (about 10x here).
        self._session = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(
                total=timeout * 3, connect=min(timeout, 5.0), sock_read=timeout
            ),
            # Idle keep-alive connections stay up to 15 s: deliveries come in waves per host.
            connector=aiohttp.TCPConnector(
                limit=max_connections,
                limit_per_host=8,
                # aiohttp's own DNS cache never forgets a host it is not asked about
                # again: off, the guard's bounded cache serves the checks instead.
                use_dns_cache=False,
                keepalive_timeout=15,
                resolver=GuardedResolver(self.guard),
            ),
            headers={"User-Agent": USER_AGENT},
            trust_env=False,
        )

    async def aclose(self) -> None:
        await self._session.close()

    def _signed(
        self, method: str, url: str, signer: Signer, body: bytes | None, accept: str, rfc9421: bool
    ) -> dict[str, str]:
        sign = sign_request_rfc9421 if rfc9421 else sign_request
        return sign(
            method,
            url,
            key_id=signer.key_id,
            private_key=signer.private_key,
            body=body,
            accept=accept,
        )

    async def _knock(
        self, method: str, url: str, signer: Signer | None, body: bytes | None, accept: str
    ) -> Response:
        """Send signed with draft-cavage; on 401 knock again with RFC 9421 (as Mastodon 4.7
        does), and remember a host that wanted the second kind."""
        if signer is None:
            return await self._send(method, url, {"Accept": accept}, body)
        host = urlsplit(url).netloc
        first = self._rfc9421_hosts.get(host) is not None
        response = await self._send(
            method, url, self._signed(method, url, signer, body, accept, first), body
        )
        if response.status == 401:
            retry = await self._send(
                method, url, self._signed(method, url, signer, body, accept, not first), body
            )
            if retry.status != 401:
                if first:
                    self._rfc9421_hosts.discard(host)
                else:
                    self._rfc9421_hosts.set(host, True)
                return retry
        return response

    async def get(self, url: str, signer: Signer | None, *, accept: str = AP_ACCEPT) -> Response:
        """GET, signed when a signer is given, following at most N redirects (each checked)."""
        for _ in range(self.max_redirects + 1):
            response = await self._knock("GET", url, signer, None, accept)
            if response.status in (301, 302, 303, 307, 308) and "location" in response.headers:
                url = urljoin(url, response.headers["location"])
                continue
            return response
        raise FetchError(f"more than {self.max_redirects} redirects from {url}")

    async def get_json(self, url: str, signer: Signer | None) -> dict[str, Any]:
        """An ActivityStreams document; FetchError unless 200 with a JSON media type."""
        response = await self.get(url, signer)
        if response.status != 200:
            raise FetchError(f"GET {url} answered {response.status}", response.status)
        media = response.headers.get("content-type", "").split(";")[0].strip().lower()
        if media not in _JSON_TYPES and not media.endswith("+json"):
            raise FetchError(f"GET {url} answered {media or 'no content type'}, not JSON")
        try:
            document = response.json()
        except ValueError:
            raise FetchError(f"GET {url} answered invalid JSON") from None
        if not isinstance(document, dict):
            raise FetchError(f"GET {url} answered JSON that is not an object")
        # The document speaks for the origin that served it, not for the one we asked:
        # after a redirect to another host (an open redirect on the victim's server),
        # an id on the first host would be a forgery (Mastodon's CVE-2024-23832).
        claimed = document.get("id")
        if claimed is not None and (
            not isinstance(claimed, str) or origin_of(claimed) != origin_of(response.url)
        ):
            raise FetchError(f"{response.url} served a document claiming the id {claimed!r}")
        return document

    async def post(self, url: str, body: bytes, signer: Signer) -> Response:
        """A signed POST (a delivery). Redirects are not followed: the inbox must answer."""
        return await self._knock("POST", url, signer, body, AP_ACCEPT)

    async def _send(
        self, method: str, url: str, headers: dict[str, str], body: bytes | None
    ) -> Response:
        await self.guard.check(url)
        try:
            async with self._session.request(
                method, url, headers=headers, data=body, allow_redirects=False
            ) as response:
                status = response.status
                if response.content_length and response.content_length > self.max_bytes:
                    raise FetchError(f"{url} is larger than {self.max_bytes} bytes", status)
                chunks, size = [], 0
                async for chunk in response.content.iter_chunked(65536):
                    size += len(chunk)
                    if size > self.max_bytes:
                        raise FetchError(f"{url} is larger than {self.max_bytes} bytes", status)
                    chunks.append(chunk)
                received = {name.lower(): value for name, value in response.headers.items()}
        except TimeoutError:
            raise FetchError(f"{method} {url} timed out") from None
        except aiohttp.ClientError as exc:
            raise FetchError(f"{method} {url} failed: {type(exc).__name__}: {exc}") from None
        return Response(status, received, b"".join(chunks), url)
