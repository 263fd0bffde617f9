""".env.example documents every variable the stack and its entry points read,
and holds no secret."""

from __future__ import annotations

import re

import pytest

from shared.infrastructure.config import ENV_OVERRIDES
from tests.ops.repo_files import DEPLOYABLES, REPO_ROOT

EXAMPLE = REPO_ROOT / ".env.example"
SECRETS = (
    "POSTGRES_PASSWORD",
    "REDIS_PASSWORD",
    "SECRET_KEY",
    "OIDC_PRIVATE_KEY",
    "AP_PRIVATE_KEY",
    "SMTP_PASSWORD",
)


def documented() -> dict[str, str]:
    """Variables the example names, set or commented out (`# NAME=value`)."""
    found = {}
    for line in EXAMPLE.read_text().splitlines():
        match = re.match(r"^#? ?([A-Z][A-Z0-9_]*)=(\S*)", line)
        if match:
            found[match.group(1)] = match.group(2)
    return found


def read_by_entrypoints() -> set[str]:
    names: set[str] = set()
    for name in DEPLOYABLES:
        text = (REPO_ROOT / name / "entrypoint.sh").read_text()
        names |= set(re.findall(r"\$\{([A-Z][A-Z0-9_]*)", text))
    return names


def read_by_the_stack() -> set[str]:
    # `$$NAME` is a variable the container's shell expands, from env_file.
    return set(re.findall(r"\$\$([A-Z][A-Z0-9_]*)", (REPO_ROOT / "docker-compose.yml").read_text()))


@pytest.mark.parametrize(
    "name", sorted(set(ENV_OVERRIDES) | read_by_entrypoints() | read_by_the_stack())
)
def test_every_variable_is_documented(name: str) -> None:
    assert name in documented(), f"{name} is read but .env.example does not list it"


def test_the_stack_variables_found_are_the_expected_ones() -> None:
    # Guards the scans above against silently finding nothing.
    assert {"DB_WAIT_TIMEOUT", "RUN_MIGRATIONS", "WEB_WORKERS", "PORT"} <= read_by_entrypoints()
    assert {"POSTGRES_USER", "POSTGRES_DB", "REDIS_PASSWORD"} <= read_by_the_stack()


def test_the_example_holds_no_secret() -> None:
    values = documented()
    for name in SECRETS:
        assert values[name] == "", f"{name} must be left empty in the example"
    for name in ("DATABASE_URL", "REDIS_URL"):
        assert ":CHANGE-ME@" in values[name], name


def test_the_example_parses_as_a_docker_env_file() -> None:
    # Docker reads KEY=VALUE literally: quotes and inline comments would
    # become part of the value.
    for line in EXAMPLE.read_text().splitlines():
        if not line or line.startswith("#"):
            continue
        name, sep, value = line.partition("=")
        assert sep and re.fullmatch(r"[A-Z][A-Z0-9_]*", name), line
        assert not value.startswith(("'", '"')) and " #" not in value, line


def test_no_variable_is_set_twice() -> None:
    """A key given twice in an env file silently takes its last value."""
    names = [
        line.partition("=")[0]
        for line in EXAMPLE.read_text().splitlines()
        if line and not line.startswith("#")
    ]
    twice = sorted({name for name in names if names.count(name) > 1})
    assert twice == [], f"set more than once: {', '.join(twice)}"


def test_the_cache_redis_carries_the_same_placeholder_password() -> None:
    assert ":CHANGE-ME@" in documented()["REDIS_CACHE_URL"]
