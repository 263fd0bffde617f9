"""The production package and the apps never import the test tree.

A deployed image has no `tests/`; an import of it from shared/ or an app
would fail there only, at run time. Dev stand-ins live in shared/dev/.
"""

from __future__ import annotations

import ast
from pathlib import Path

from shared.infrastructure.config import APP_NAMES

REPO_ROOT = Path(__file__).resolve().parents[2]
PRODUCTION_TREES = ("shared", "worker", *APP_NAMES)


def _imported_modules(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
    return found


def test_no_production_module_imports_the_test_tree() -> None:
    offenders = [
        f"{path.relative_to(REPO_ROOT)}:{line}: {module}"
        for tree in PRODUCTION_TREES
        for path in sorted((REPO_ROOT / tree).rglob("*.py"))
        for line, module in _imported_modules(path)
        if module == "tests" or module.startswith("tests.")
    ]
    assert offenders == []


def test_the_check_sees_an_import_of_the_test_tree(tmp_path: Path) -> None:
    module = tmp_path / "module.py"
    module.write_text("import os\nfrom tests.support import live\nimport tests.conftest\n")
    assert _imported_modules(module) == [(1, "os"), (2, "tests.support"), (3, "tests.conftest")]
