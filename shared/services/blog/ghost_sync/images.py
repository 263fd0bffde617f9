"""Ghost's images brought home: each feature and inline image is fetched once per run
through the SSRF-safe fetcher (allowed exactly the addresses Ghost's host resolves to),
stored like an upload, and the post's HTML pointed at our copy."""

from __future__ import annotations

import ipaddress
import re
import socket
from urllib.parse import urlsplit

from shared.contracts.media import MediaRejected
from shared.infrastructure.activitypub.http import IPNetwork
from shared.infrastructure.config import MediaSettings
from shared.infrastructure.fetch import FetchError, SafeFetcher
from shared.infrastructure.media import MediaStorage, store_image

_SRC = re.compile(r'(\bsrc\s*=\s*)(["\'])([^"\']+)\2', re.IGNORECASE)
# Ghost's responsive variants point at its own /size/ copies: our copy has its own.
_SRCSET = re.compile(r'\s+(?:srcset|sizes)\s*=\s*(["\'])[^"\']*\1', re.IGNORECASE)


def ghost_networks(ghost_url: str) -> list[IPNetwork]:
    """The addresses Ghost's host resolves to, as single-address networks."""
    parts = urlsplit(ghost_url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    found: list[IPNetwork] = []
    for *_, sockaddr in socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP):
        address = ipaddress.ip_address(sockaddr[0])
        found.append(ipaddress.ip_network(address))
    return found


class ImageImporter:
    """Copies Ghost-hosted images into our media storage; other hosts' images stay as
    they are (the sanitizer still vets them). `problems` lists what could not be copied."""

    def __init__(self, ghost_url: str, storage: MediaStorage, limits: MediaSettings) -> None:
        self.ghost_url = ghost_url.rstrip("/")
        self.host = urlsplit(ghost_url).netloc
        self.storage = storage
        self.limits = limits
        self.fetcher = SafeFetcher(ghost_networks(ghost_url), max_bytes=limits.max_upload_bytes)
        self.copied: dict[str, str] = {}
        self.problems: list[str] = []

    def is_ghosts(self, url: str) -> bool:
        return urlsplit(url).netloc == self.host or url.startswith("/content/images/")

    async def copy(self, url: str | None) -> str | None:
        """Our URL for `url` (None stays None); on failure the original, noted in problems."""
        if not url or not self.is_ghosts(url):
            return url
        if url in self.copied:
            return self.copied[url]
        absolute = self.ghost_url + url if url.startswith("/") else url
        try:
            fetched = await self.fetcher.get(absolute, accept="image/*")
            stored = await store_image(self.storage, fetched.body, self.limits)
        except (FetchError, MediaRejected) as exc:
            self.problems.append(f"image {absolute}: {exc}")
            return url
        self.copied[url] = stored.src
        return stored.src

    async def rewrite(self, html: str) -> str:
        """`html` with every Ghost-hosted `src` pointing at our copy."""
        html = _SRCSET.sub("", html)
        wanted = [m.group(3) for m in _SRC.finditer(html) if self.is_ghosts(m.group(3))]
        for url in dict.fromkeys(wanted):
            await self.copy(url)

        def swap(match: re.Match[str]) -> str:
            url = match.group(3)
            return f"{match.group(1)}{match.group(2)}{self.copied.get(url, url)}{match.group(2)}"

        return _SRC.sub(swap, html)

    async def aclose(self) -> None:
        await self.fetcher.aclose()
