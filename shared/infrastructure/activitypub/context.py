"""What one app process holds for ActivityPub: its name, settings, and the platform's
federation client (one per process, opened and closed by the bootstrap)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from quart import Quart

from shared.infrastructure.activitypub.http import FederationClient
from shared.infrastructure.config import Settings

if TYPE_CHECKING:  # the bootstrap imports the modules that import this one
    from shared.infrastructure.bootstrap import Platform

EXTENSION_KEY = "rose_ash_activitypub"


@dataclass(frozen=True)
class ApRuntime:
    app_name: str
    settings: Settings
    platform: Platform

    @property
    def base_url(self) -> str:
        return self.settings.apps[self.app_name].base_url

    @property
    def scheme(self) -> str:
        return self.base_url.split("://", 1)[0]

    @property
    def client(self) -> FederationClient:
        """The platform's federation client: raises until the app is served (its
        lifespan opens the platform)."""
        return self.platform.federation_http


def ap_runtime(app: Quart) -> ApRuntime:
    rt: ApRuntime = app.extensions[EXTENSION_KEY]
    return rt
