"""Reading Dockerfiles without a Docker engine, and replaying their COPYs."""

from __future__ import annotations

import fnmatch
import shlex
import shutil
from dataclasses import dataclass
from pathlib import Path

from dockerfile_parse import DockerfileParser

from tests.ops.repo_files import REPO_ROOT

# Copied into every image: dependencies and runtime config, not code.
PROJECT_FILES = {"pyproject.toml", "_config/"}
# Copied into the Node stage of the web apps only, to build the assets.
ASSET_FILES = {"package.json", "package-lock.json", "shared/"}
NODE_IMAGE = "node:20-slim"
PYTHON_IMAGE = "python:3.11-slim"


@dataclass(frozen=True, slots=True)
class Copy:
    stage: int
    sources: tuple[str, ...]
    destination: str
    from_stage: str | None


def stages(dockerfile: Path) -> list[list[dict[str, str]]]:
    """The instructions of each build stage, comments left out."""
    parser = DockerfileParser(path=str(dockerfile))
    result: list[list[dict[str, str]]] = []
    for instruction in parser.structure:
        if instruction["instruction"] == "FROM":
            result.append([])
        if instruction["instruction"] != "COMMENT":
            result[-1].append(instruction)
    return result


def copies(dockerfile: Path) -> list[Copy]:
    found = []
    for index, stage in enumerate(stages(dockerfile)):
        for instruction in stage:
            assert instruction["instruction"] != "ADD", "use COPY: ADD fetches and unpacks"
            if instruction["instruction"] != "COPY":
                continue
            words = shlex.split(instruction["value"])
            flags = dict(word[2:].split("=", 1) for word in words if word.startswith("--"))
            paths = [word for word in words if not word.startswith("--")]
            found.append(Copy(index, tuple(paths[:-1]), paths[-1], flags.get("from")))
    return found


def final_stage(dockerfile: Path) -> list[dict[str, str]]:
    return stages(dockerfile)[-1]


def instruction_values(stage: list[dict[str, str]], name: str) -> list[str]:
    return [item["value"] for item in stage if item["instruction"] == name]


def dockerignore_patterns() -> list[str]:
    lines = (REPO_ROOT / ".dockerignore").read_text().splitlines()
    return [line.strip().rstrip("/") for line in lines if line.strip() and line[0] != "#"]


# What the Node stage builds; `make test` builds it first (make assets).
ASSETS = REPO_ROOT / "shared" / "static" / "dist"


def ignored(relative: str, patterns: list[str]) -> bool:
    """Whether .dockerignore keeps `relative` (a repo path) out of the build context."""
    for pattern in patterns:
        if pattern.startswith("**/"):
            if any(fnmatch.fnmatch(part, pattern[3:]) for part in relative.split("/")):
                return True
        elif fnmatch.fnmatch(relative, pattern):
            return True
    return False


def stage_image(name: str, root: Path) -> Path:
    """Copy into `root` what `<name>/Dockerfile` puts in /app; return `root`.

    Every COPY of the final stage mirrors a repo path to the same path under
    /app (or a root file to `./`): that is what lets the entry points find
    the project root as `$(dirname "$0")/..` both in the image and in a checkout.
    """
    patterns = dockerignore_patterns()

    def skip(folder: str, names: list[str]) -> list[str]:
        base = Path(folder).relative_to(REPO_ROOT)
        return [n for n in names if ignored(str(base / n), patterns)]

    dockerfile_copies = copies(REPO_ROOT / name / "Dockerfile")
    final = max(copy.stage for copy in dockerfile_copies)
    for copy in dockerfile_copies:
        if copy.stage != final:
            continue
        if copy.from_stage == "assets":
            if ASSETS.is_dir():
                shutil.copytree(ASSETS, root / copy.destination, dirs_exist_ok=True)
            continue
        for source in copy.sources:
            assert copy.destination in {source, "./"}, f"{name}: COPY {source} {copy.destination}"
            origin, target = REPO_ROOT / source, root / source
            if origin.is_dir():
                shutil.copytree(origin, target, dirs_exist_ok=True, ignore=skip)
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(origin, target)
    return root
