"""Fetching a URL a member gave us (a product page to import, its image), safely.

* http and https only; `file:`, `ftp:`, `gopher:` ... are refused before any I/O;
* no private, loopback, link-local or otherwise internal address unless an
  allow-listed network holds it (tests and dev allow loopback): the host is
  checked before the request, and the connection resolves through the same
  guard, so a name that answers differently the second time (DNS rebinding) is
  refused too;
* redirects followed by hand, at most `max_redirects`, each new URL checked again;
* a total time limit, and a size limit enforced while the body streams in.

The address checks are the federation client's (`AddressGuard`, `GuardedResolver`,
in shared/infrastructure/activitypub/http.py): one notion of "internal" for every
outbound request the platform makes on someone else's say-so.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import aiohttp

from shared.infrastructure.activitypub.http import (
    USER_AGENT,
    AddressGuard,
    BlockedAddressError,
    FetchError,
    GuardedResolver,
    IPNetwork,
)

__all__ = ["BlockedAddressError", "FetchError", "Fetched", "SafeFetcher"]

_REDIRECTS = (301, 302, 303, 307, 308)


@dataclass(frozen=True, slots=True)
class Fetched:
    url: str  # where the body finally came from
    status: int
    content_type: str
    body: bytes

    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


class SafeFetcher:
    """GET a user-given URL within limits. One per use or per process; `aclose()` after."""

    def __init__(
        self,
        allowed: Iterable[IPNetwork] = (),
        *,
        timeout_seconds: float = 10.0,
        max_bytes: int = 2 * 1024 * 1024,
        max_redirects: int = 3,
    ) -> None:
        self.guard = AddressGuard(allowed)
        self.timeout_seconds = timeout_seconds
        self.max_bytes = max_bytes
        self.max_redirects = max_redirects
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None:
            connector = aiohttp.TCPConnector(resolver=GuardedResolver(self.guard), limit=10)
            self._session = aiohttp.ClientSession(
                connector=connector, headers={"User-Agent": USER_AGENT}
            )
        return self._session

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def get(self, url: str, *, accept: str = "text/html,*/*;q=0.5") -> Fetched:
        """The response to GET `url`. BlockedAddressError for a URL we may not reach,
        FetchError for a failure, a limit passed, or a status of 400 and above."""
        try:
            return await asyncio.wait_for(self._follow(url, accept), self.timeout_seconds)
        except TimeoutError:
            raise FetchError(f"no answer within {self.timeout_seconds:g} seconds") from None

    async def _follow(self, url: str, accept: str) -> Fetched:
        for _ in range(self.max_redirects + 1):
            await self.guard.check(url)
            try:
                async with self._client().get(
                    url, allow_redirects=False, headers={"Accept": accept}
                ) as response:
                    if response.status in _REDIRECTS and "Location" in response.headers:
                        url = urljoin(url, response.headers["Location"])
                        if urlsplit(url).scheme not in ("http", "https"):
                            raise BlockedAddressError(f"redirected to a non-http URL: {url}")
                        continue
                    if response.status >= 400:
                        raise FetchError(f"the page answered {response.status}", response.status)
                    body = await self._read(response)
                    return Fetched(
                        url=url,
                        status=response.status,
                        content_type=response.headers.get("Content-Type", ""),
                        body=body,
                    )
            except BlockedAddressError:
                raise
            except FetchError:
                raise
            except (aiohttp.ClientError, OSError, ValueError) as exc:
                raise FetchError(f"could not fetch the page ({type(exc).__name__})") from None
        raise FetchError(f"more than {self.max_redirects} redirects")

    async def _read(self, response: aiohttp.ClientResponse) -> bytes:
        declared = response.content_length
        if declared is not None and declared > self.max_bytes:
            raise FetchError(f"the page is larger than {self.max_bytes:,} bytes")
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.content.iter_chunked(65_536):
            size += len(chunk)
            if size > self.max_bytes:
                raise FetchError(f"the page is larger than {self.max_bytes:,} bytes")
            chunks.append(chunk)
        return b"".join(chunks)
