"""Fixtures of the dev stand-ins' tests: a real HTTP receiver for their webhooks."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest


@dataclass
class Receiver:
    """A real HTTP server that records webhooks; `answers` are the statuses to give, in turn."""

    answers: list[int] = field(default_factory=list)
    got: list[tuple[str, dict[str, str], bytes]] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_port}"

    def bodies(self, path: str) -> list[dict[str, Any]]:
        return [json.loads(body) for p, _h, body in self.got if p == path]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    received = Receiver()

    class Hook(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            return

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.got.append((self.path, dict(self.headers), body))
            status = received.answers.pop(0) if received.answers else 200
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

    received.server = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=received.server.serve_forever, daemon=True).start()
    yield received
    received.server.shutdown()
    received.server.server_close()
