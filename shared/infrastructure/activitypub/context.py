"""What one app process holds for ActivityPub: its name, settings and the federation client."""

from __future__ import annotations

from dataclasses import dataclass, field

from quart import Quart

from shared.infrastructure.activitypub.http import FederationClient
from shared.infrastructure.config import Settings

EXTENSION_KEY = "rose_ash_activitypub"


@dataclass
class ApRuntime:
    app_name: str
    settings: Settings
    _client: FederationClient | None = field(default=None, repr=False)

    @property
    def base_url(self) -> str:
        return self.settings.apps[self.app_name].base_url

    @property
    def scheme(self) -> str:
        return self.base_url.split("://", 1)[0]

    @property
    def client(self) -> FederationClient:
        if self._client is None:
            raise RuntimeError(
                "the federation client is not open: serve the app through its lifespan"
            )
        return self._client

    async def open(self) -> None:
        self._client = FederationClient(self.settings.activitypub)

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None


def ap_runtime(app: Quart) -> ApRuntime:
    return app.extensions[EXTENSION_KEY]
