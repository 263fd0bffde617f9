"""Where the operations artifacts are, found by glob so new ones are checked too."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
# The tools the project installs (dev extras) sit beside the interpreter.
VENV_BIN = Path(sys.executable).parent

APPS: tuple[str, ...] = ("blog", "market", "cart", "events", "federation", "account")
DEPLOYABLES: tuple[str, ...] = (*APPS, "worker")
REGISTRY = "registry.rose-ash.com:5000"

# Never ours to lint: toolchains, dependencies, local state, build output.
SKIPPED_DIRS = frozenset(
    {
        ".git",
        ".venv",
        "node_modules",
        ".state",
        "build",
        "dist",
        "__pycache__",
        ".pytest_cache",
        ".ruff_cache",
        ".mypy_cache",
    }
)
SHELLS = ("sh", "bash")


def repo_files() -> Iterator[Path]:
    """Every file of the repository outside SKIPPED_DIRS."""
    stack = [REPO_ROOT]
    while stack:
        folder = stack.pop()
        for entry in sorted(folder.iterdir()):
            if entry.is_dir() and not entry.is_symlink():
                if entry.name not in SKIPPED_DIRS and not entry.name.endswith(".egg-info"):
                    stack.append(entry)
            elif entry.is_file():
                yield entry


def dockerfiles() -> list[Path]:
    """Every Dockerfile (`Dockerfile`, `Dockerfile.*`, `*.Dockerfile`)."""
    return sorted(
        path
        for path in repo_files()
        if path.name == "Dockerfile"
        or path.name.startswith("Dockerfile.")
        or path.name.endswith(".Dockerfile")
    )


def _has_shell_shebang(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            first = handle.readline(200).decode("utf-8", "replace").strip()
    except OSError:
        return False
    if not first.startswith("#!"):
        return False
    words = first[2:].replace("/", " ").split()
    return any(word in SHELLS for word in words)


def _is_ci_script(path: Path) -> bool:
    # CI runs `bash .ci/<name>`, so these are bash scripts, shebang or not.
    return path.parent == REPO_ROOT / ".ci" and not path.suffix


def shell_scripts() -> list[Path]:
    """Every `*.sh`, every extension-less file under `.ci/` (such as `.ci/run`),
    and any other extension-less file whose shebang names a shell."""
    return sorted(
        path
        for path in repo_files()
        if path.suffix == ".sh"
        or _is_ci_script(path)
        or (not path.suffix and _has_shell_shebang(path))
    )


def has_shebang(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(2) == b"#!"


def rel(path: Path) -> str:
    """A path as the tests name it: relative to the repository root."""
    return str(path.relative_to(REPO_ROOT))
