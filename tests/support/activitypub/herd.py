"""bovine-herd, a full ActivityPub server we did not write, run on a loopback address.

bovine-herd 0.5.19 pins Quart<0.20 (we run 0.22), so it lives in a venv of its own,
made once under the user's cache directory from PyPI (`pip install`) and reused by
later runs. Its database is SQLite in the test's temp dir; its one user is created
with its own CLI (`python -m bovine_store`), as its documentation shows.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
import venv
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from shared.dev.processes import spawn, stop_all

HERD_VERSION = "0.5.19"
REQUIREMENTS = [f"bovine-herd=={HERD_VERSION}", "hypercorn>=0.17"]
APP = """\
from quart import Quart
from bovine_herd import BovineHerd

app = Quart(__name__)
BovineHerd(app, db_url={db_url!r})
"""


def cache_dir() -> Path:
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "rose-ash" / f"bovine-herd-{HERD_VERSION}"


def herd_python() -> Path:
    """The herd venv's interpreter, creating the venv on first use (about a minute)."""
    root = cache_dir()
    python = root / "bin" / "python"
    marker = root / ".installed"
    if marker.exists() and python.exists():
        return python
    root.parent.mkdir(parents=True, exist_ok=True)
    venv.EnvBuilder(with_pip=True, clear=True).create(root)
    subprocess.run(
        [
            str(python),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            *REQUIREMENTS,
        ],
        check=True,
        capture_output=True,  # pip's progress and notices are noise here; errors raise
    )
    marker.write_text(" ".join(REQUIREMENTS))
    return python


@dataclass
class HerdUser:
    name: str
    secret: str  # Moo-Auth-1 secret for bovine.BovineClient
    actor: dict[str, Any]

    @property
    def id(self) -> str:
        return str(self.actor["id"])


class Herd:
    def __init__(self, workdir: Path, host: str, port: int) -> None:
        self.workdir, self.host, self.port = workdir, host, port
        self.python = herd_python()
        self.db_path = workdir / "herd.sqlite3"
        self.env = {
            **os.environ,
            "BOVINE_DB_URL": f"sqlite://{self.db_path}",
            "PYTHONUNBUFFERED": "1",
        }
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def _cli(self, *args: str) -> str:
        result = subprocess.run(
            [str(self.python), "-m", "bovine_store", *args],
            env=self.env, cwd=self.workdir, capture_output=True, text=True, check=True,
        )  # fmt: skip
        return result.stdout

    def create_user(self, handle: str) -> HerdUser:
        self._cli("create")
        registered = self._cli("register", "--domain", self.url, "--handle", handle)
        name = registered.strip().rsplit(" ", 1)[-1]
        secret = re.search(r"secret: (\S+)", self._cli("key", "--new", name))
        assert secret, "bovine_store printed no secret"
        actor = json.loads(self._cli("actor", "--name", name))
        return HerdUser(name, secret.group(1), actor)

    def start(self) -> None:
        (self.workdir / "herd_app.py").write_text(APP.format(db_url=f"sqlite://{self.db_path}"))
        hypercorn = self.python.parent / "hypercorn"
        log = (self.workdir / "herd.log").open("ab")
        self.proc = spawn(
            [hypercorn, "--bind", f"{self.host}:{self.port}", "herd_app:app"],
            stdout=log, env=self.env, cwd=self.workdir,
        )  # fmt: skip
        log.close()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            try:
                httpx.get(f"{self.url}/.well-known/nodeinfo", timeout=1)
                return
            except httpx.TransportError:
                time.sleep(0.2)
        raise RuntimeError(f"bovine-herd did not start:\n{self.log()}")

    def log(self) -> str:
        return (self.workdir / "herd.log").read_text(errors="replace")[-4000:]

    def stop(self) -> None:
        if self.proc is not None:
            stop_all([(self.proc, signal.SIGTERM)], timeout=10)
