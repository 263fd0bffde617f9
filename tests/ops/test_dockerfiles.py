"""Each image copies only shared/ and its own app, and is built the same way.

Dockerfiles are parsed with dockerfile-parse (no Docker engine here), and the
COPY sources are checked against what that image may contain: the project
files every app needs, shared/, and its own folder; blog alone adds
alembic.ini, since it alone migrates.
"""

from __future__ import annotations

import fnmatch
import json

import pytest

from tests.ops.dockerfiles import (
    ASSET_FILES,
    NODE_IMAGE,
    PROJECT_FILES,
    PYTHON_IMAGE,
    copies,
    dockerignore_patterns,
    final_stage,
    instruction_values,
    stages,
)
from tests.ops.repo_files import APPS, REPO_ROOT


@pytest.mark.parametrize("app", APPS)
def test_app_image_copies_only_shared_and_its_own_app(app: str) -> None:
    dockerfile = REPO_ROOT / app / "Dockerfile"
    allowed_final = PROJECT_FILES | {"shared/", f"{app}/"}
    if app == "blog":
        allowed_final |= {"alembic.ini"}
    for copy in copies(dockerfile):
        if copy.from_stage is not None:
            # Only the built assets cross over from the Node stage.
            assert copy.from_stage == "assets"
            assert copy.sources == ("/src/shared/static/dist/",)
            assert copy.destination == "shared/static/dist/"
        elif copy.stage == 0:
            assert set(copy.sources) <= ASSET_FILES, copy
        else:
            assert set(copy.sources) <= allowed_final, copy
    copied = {source for copy in copies(dockerfile) for source in copy.sources}
    assert {"shared/", f"{app}/"} <= copied
    others = set(APPS) - {app}
    assert not any(source.rstrip("/") in others for source in copied)


def test_worker_image_copies_only_shared_and_its_entry_point() -> None:
    dockerfile = REPO_ROOT / "worker" / "Dockerfile"
    sources = {source for copy in copies(dockerfile) for source in copy.sources}
    assert sources == PROJECT_FILES | {"shared/", "worker/entrypoint.sh"}
    assert len(stages(dockerfile)) == 1, "the worker serves no assets: no Node stage"
    assert instruction_values(final_stage(dockerfile), "ENTRYPOINT") == [
        '["/app/worker/entrypoint.sh"]'
    ]


def test_only_blog_ships_the_migration_config() -> None:
    for app in (*APPS, "worker"):
        sources = {s for copy in copies(REPO_ROOT / app / "Dockerfile") for s in copy.sources}
        assert ("alembic.ini" in sources) == (app == "blog"), app


@pytest.mark.parametrize("app", APPS)
def test_app_image_builds_assets_in_a_node_stage(app: str) -> None:
    node, python = stages(REPO_ROOT / app / "Dockerfile")
    assert node[0]["value"] == f"{NODE_IMAGE} AS assets"
    runs = instruction_values(node, "RUN")
    assert any(run.startswith("npm ci") for run in runs)
    assert "node shared/static/build.mjs" in runs
    assert python[0]["value"] == PYTHON_IMAGE


@pytest.mark.parametrize("app", (*APPS, "worker"))
def test_dependencies_are_installed_before_the_code_is_copied(app: str) -> None:
    stage = final_stage(REPO_ROOT / app / "Dockerfile")
    names = [(item["instruction"], item["value"]) for item in stage]
    install = next(i for i, (name, value) in enumerate(names) if "pip install" in value)
    copies_before = [value for name, value in names[:install] if name == "COPY"]
    # Only pyproject.toml: a code change must not invalidate the dependency layer.
    assert copies_before == ["pyproject.toml ./"]


@pytest.mark.parametrize("app", (*APPS, "worker"))
def test_image_runs_as_a_non_root_user_from_app(app: str) -> None:
    stage = final_stage(REPO_ROOT / app / "Dockerfile")
    assert instruction_values(stage, "WORKDIR") == ["/app"]
    users = instruction_values(stage, "USER")
    assert users, "no USER: the image would run as root"
    assert users[-1].split(":")[0] not in {"0", "root"}
    entrypoint = json.loads(instruction_values(stage, "ENTRYPOINT")[-1])
    assert entrypoint == [f"/app/{app}/entrypoint.sh"]
    assert (REPO_ROOT / app / "entrypoint.sh").is_file()


@pytest.mark.parametrize("app", APPS)
def test_app_image_checks_healthz_on_port_8000(app: str) -> None:
    stage = final_stage(REPO_ROOT / app / "Dockerfile")
    (healthcheck,) = instruction_values(stage, "HEALTHCHECK")
    assert "http://127.0.0.1:8000/healthz" in healthcheck
    assert instruction_values(stage, "EXPOSE") == ["8000"]


@pytest.mark.parametrize("app", (*APPS, "worker"))
def test_everything_an_image_copies_exists_and_is_in_the_build_context(app: str) -> None:
    patterns = [pattern.replace("**/", "") for pattern in dockerignore_patterns()]
    for copy in copies(REPO_ROOT / app / "Dockerfile"):
        if copy.from_stage is not None:
            continue
        for source in copy.sources:
            assert (REPO_ROOT / source).exists(), f"{app}/Dockerfile copies missing {source}"
            ignored = [p for p in patterns if fnmatch.fnmatch(source.rstrip("/"), p)]
            assert not ignored, f"{source} is excluded from the build context by {ignored}"


def test_dockerignore_keeps_secrets_and_local_state_out_of_images() -> None:
    patterns = set(dockerignore_patterns())
    assert {".env", ".git", ".venv", "node_modules", "shared/static/dist"} <= patterns


def test_app_dockerfiles_differ_only_by_the_app_name() -> None:
    # Six copies of one recipe: a fix made to one must be made to all.
    def normalised(app: str) -> list[str]:
        text = (REPO_ROOT / app / "Dockerfile").read_text().replace(app, "APP")
        return [line for line in text.splitlines() if not line.startswith("#")]

    reference = normalised("market")
    for app in APPS:
        lines = normalised(app)
        if app == "blog":
            lines = [line for line in lines if line != "COPY alembic.ini ./"]
        assert lines == reference, app
