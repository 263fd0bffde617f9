"""scripts/ensure-chromium.sh (run by `make test` and `.ci/run`): silent when Chromium
is there, and one line saying how to get it when it cannot install it itself."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
SCRIPT = REPO_ROOT / "scripts" / "ensure-chromium.sh"
NOBODY = 65534


def _run(tmp_path: Path, *, chromium: str, as_nobody: bool) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(tmp_path), "CHROMIUM": chromium}
    extra = {"user": NOBODY, "group": NOBODY, "extra_groups": []} if as_nobody else {}
    return subprocess.run(
        ["bash", str(SCRIPT)],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        **extra,  # type: ignore[arg-type]
    )


def test_an_installed_chromium_is_left_alone(tmp_path: Path) -> None:
    result = _run(tmp_path, chromium="bash", as_nobody=False)  # any binary on PATH
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to run the script as another user")
def test_without_chromium_or_a_way_to_install_it_one_line_says_how(tmp_path: Path) -> None:
    if shutil.which("sudo"):
        pytest.skip("a sudo here might let the unprivileged user install")
    tmp_path.chmod(0o777)

    result = _run(tmp_path, chromium="chromium-that-is-not-installed", as_nobody=True)

    assert result.returncode == 1
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert "apt-get install chromium" in line and "make test" in line
