"""The Gitea workflow: valid, in the right order, built on the shared scripts.

Gitea Actions runs GitHub's workflow syntax, so the file is validated against
the GitHub workflow schema that check-jsonschema vendors. Its `run:` blocks
are shell scripts and get shellcheck like every other script.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.ops.repo_files import REPO_ROOT, VENV_BIN

WORKFLOW = REPO_ROOT / ".gitea" / "workflows" / "ci.yml"


def jobs() -> dict[str, dict[str, Any]]:
    # Only `jobs` is read: PyYAML would turn the `on:` key into True.
    return yaml.safe_load(WORKFLOW.read_text())["jobs"]


def needs(job: dict[str, Any]) -> list[str]:
    value = job.get("needs", [])
    return [value] if isinstance(value, str) else list(value)


def run_blocks() -> list[tuple[str, str]]:
    return [
        (f"{name}: {step.get('name', index)}", step["run"])
        for name, job in jobs().items()
        for index, step in enumerate(job["steps"])
        if "run" in step
    ]


def test_workflow_validates_against_the_workflow_schema() -> None:
    result = subprocess.run(
        [VENV_BIN / "check-jsonschema", "--builtin-schema", "vendor.github-workflows", WORKFLOW],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_jobs_run_tests_then_build_then_deploy() -> None:
    workflow = jobs()
    assert list(workflow) == ["tests", "build", "deploy"]
    assert needs(workflow["tests"]) == []
    assert needs(workflow["build"]) == ["tests"]
    assert needs(workflow["deploy"]) == ["build"]


def test_tests_job_runs_the_suite() -> None:
    commands = "\n".join(step.get("run", "") for step in jobs()["tests"]["steps"])
    # The same entry point as the project's CI, which runs `make test`.
    assert "bash .ci/run" in commands
    assert (REPO_ROOT / ".ci" / "run").is_file()


def test_build_job_uses_the_shared_detection_and_builds_only_those_apps() -> None:
    build = jobs()["build"]
    commands = "\n".join(step.get("run", "") for step in build["steps"])
    assert "scripts/changed-apps.sh --since-deploy" in commands
    assert "./deploy.sh --no-deploy" in commands
    # No second copy of the detection rule: no path patterns of its own.
    assert "git diff" not in commands
    assert build["outputs"]["apps"] == "${{ steps.changed.outputs.apps }}"
    # Deploys happen for main only, never for a pull request.
    assert "pull_request" in build["if"] and "refs/heads/main" in build["if"]


def test_deploy_job_rolls_out_over_ssh_with_the_deploy_secrets() -> None:
    deploy = jobs()["deploy"]
    text = yaml.safe_dump(deploy)
    assert "secrets.DEPLOY_SSH_KEY" in text
    assert "secrets.DEPLOY_HOST" in text
    assert deploy["if"] == "needs.build.outputs.apps != ''"
    commands = "\n".join(step.get("run", "") for step in deploy["steps"])
    assert re.search(r'ssh "\$DEPLOY_HOST" \\\s+".*\./deploy\.sh --no-build \$APPS"', commands)
    assert 'git push --force origin "HEAD:refs/deploy/$STACK"' in commands


@pytest.mark.parametrize(("where", "script"), run_blocks(), ids=[w for w, _ in run_blocks()])
def test_run_block_passes_shellcheck(where: str, script: str, tmp_path: Path) -> None:
    # Expressions are substituted by the runner before bash sees the script.
    body = re.sub(r"\$\{\{.*?\}\}", "EXPRESSION", script)
    path = tmp_path / "step.sh"
    path.write_text(f"#!/usr/bin/env bash\nset -eo pipefail\n{body}")
    result = subprocess.run(
        [VENV_BIN / "shellcheck", "--severity=style", path],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, f"{where}\n{result.stdout}"
