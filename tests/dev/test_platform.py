"""`python -m shared.dev.run` (what `make dev` runs) brings up every app and stops cleanly."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import pytest

from shared.dev.embedded import free_port_base
from shared.infrastructure.config import APP_NAMES

pytestmark = pytest.mark.slow

REPO_ROOT = Path(__file__).resolve().parents[2]
READY_BANNER = "Press Ctrl-C to stop."
# Cold start: initdb, migrations, demo data and six apps, on a small CI machine.
START_TIMEOUT = 180.0


def _free_port_base() -> int:
    """A base such that base+1 ... base+6 are all free."""
    return free_port_base(len(APP_NAMES))


def _runner_env(**extra: str) -> dict[str, str]:
    # The suite's own servers (conftest puts them in os.environ) must not leak in.
    ignored = {"DATABASE_URL", "REDIS_URL", "TEST_DATABASE_URL", "TEST_REDIS_URL"}
    env = {key: value for key, value in os.environ.items() if key not in ignored}
    env.update(PYTHONUNBUFFERED="1", **extra)
    return env


class RunnerOutput:
    """Collects the runner's output on a thread, so its pipe never fills up."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.lines: list[str] = []
        self.ready = threading.Event()
        self._thread = threading.Thread(target=self._read, args=(proc,), daemon=True)
        self._thread.start()

    def _read(self, proc: subprocess.Popen[str]) -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            self.lines.append(line.rstrip("\n"))
            if line.strip() == READY_BANNER:
                self.ready.set()

    def text(self) -> str:
        return "\n".join(self.lines[-80:])


@pytest.fixture
def runner(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], RunnerOutput, int]]:
    base = _free_port_base()
    argv = [sys.executable, "-m", "shared.dev.run", "--state-dir", str(tmp_path / "state")]
    argv += ["--port-base", str(base)]
    proc = subprocess.Popen(
        argv,
        cwd=REPO_ROOT,
        env=_runner_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output = RunnerOutput(proc)
    try:
        yield proc, output, base
    finally:
        if proc.poll() is None:  # the test failed half-way: still clean up
            proc.send_signal(signal.SIGINT)
            proc.wait(timeout=60)
        assert proc.stdout is not None
        proc.stdout.close()


def test_dev_platform_serves_every_app_and_stops_cleanly_on_ctrl_c(
    runner: tuple[subprocess.Popen[str], RunnerOutput, int],
) -> None:
    proc, output, base = runner
    if not output.ready.wait(START_TIMEOUT):
        pytest.fail(f"the platform did not come up; its output:\n{output.text()}")
    for offset, name in enumerate(APP_NAMES, start=1):
        assert f"http://{name}.localhost:{base + offset}" in output.text()

    with httpx.Client(timeout=10.0, trust_env=False) as client:
        for offset, name in enumerate(APP_NAMES, start=1):
            for path in ("/healthz", "/readyz", "/"):
                response = client.get(f"http://127.0.0.1:{base + offset}{path}")
                assert response.status_code == 200, f"{name} {path}: {response.status_code}"

    # No GHOST_URL: the Ghost stand-in runs, in the banner, the blog subscribed to it.
    ghost = re.search(r"ghost\s+(http://127\.0\.0\.1:\d+/_standin/) \(stand-in\)", output.text())
    assert ghost is not None, output.text()
    standin_page = httpx.get(ghost.group(1), timeout=10.0, trust_env=False)
    assert standin_page.status_code == 200
    assert f"http://127.0.0.1:{base + 1}/webhooks/ghost/post.published.edited" in standin_page.text

    children = psutil.Process(proc.pid).children(recursive=True)
    assert len(children) > len(APP_NAMES)  # the apps, PostgreSQL and its backends, Redis
    proc.send_signal(signal.SIGINT)

    assert proc.wait(timeout=60) == 0, output.text()
    _gone, alive = psutil.wait_procs(children, timeout=5)
    assert alive == [], f"left behind: {[(p.pid, p.name()) for p in alive]}"


def test_dev_platform_with_an_unreachable_database_exits_with_one_line(tmp_path: Path) -> None:
    env = _runner_env(DATABASE_URL="postgresql://nobody@127.0.0.1:1/x")
    argv = [sys.executable, "-m", "shared.dev.run", "--state-dir", str(tmp_path / "state")]
    result = subprocess.run(
        [*argv, "--port-base", str(_free_port_base())],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "database" in lines[0]
    assert "127.0.0.1:1" in lines[0]
    assert "Traceback" not in result.stdout
