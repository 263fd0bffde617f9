"""docker-compose.yml: a valid Compose file, shaped as the Swarm stack we run.

Validated against the Compose specification with check-jsonschema (which
vendors the schema, so no network is needed), then read for what the schema
cannot know: which services exist, what reaches what, how they roll out.
Where the docker client is installed, `docker stack config` (the loader of
`docker stack deploy`, no engine needed) must accept it too.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.ops.repo_files import APPS, DEPLOYABLES, REGISTRY, REPO_ROOT, VENV_BIN

COMPOSE = REPO_ROOT / "docker-compose.yml"


def load() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE.read_text())


def services() -> dict[str, dict[str, Any]]:
    return load()["services"]


def test_stack_validates_against_the_compose_specification() -> None:
    result = subprocess.run(
        [VENV_BIN / "check-jsonschema", "--builtin-schema", "vendor.compose-spec", COMPOSE],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_stack_has_the_apps_the_worker_and_the_data_services() -> None:
    assert set(services()) == {*DEPLOYABLES, "postgres", "redis", "redis-cache"}
    assert services()["postgres"]["image"] == "postgres:16"
    assert services()["redis"]["image"] == services()["redis-cache"]["image"] == "redis:7"


def _redis_command(name: str) -> str:
    return " ".join(services()[name]["command"])


def test_sessions_are_never_evicted_and_the_cache_is_bounded_and_evicts() -> None:
    """Sessions and the fragment cache live in separate Redis instances: anonymous
    traffic filling the cache can evict cache entries only, never a session."""
    sessions, cache = _redis_command("redis"), _redis_command("redis-cache")
    assert "--maxmemory-policy noeviction" in sessions and "--appendonly yes" in sessions
    assert "--maxmemory-policy allkeys-lru" in cache
    assert re.search(r"--maxmemory \d+mb", cache)
    example = (REPO_ROOT / ".env.example").read_text()
    assert re.search(r"^REDIS_CACHE_URL=redis://:CHANGE-ME@redis-cache:6379/0$", example, re.M)


@pytest.mark.parametrize("name", DEPLOYABLES)
def test_images_come_from_our_registry_tagged_by_the_deploy(name: str) -> None:
    image = services()[name]["image"]
    assert re.fullmatch(rf"{re.escape(REGISTRY)}/{name}:\$\{{TAG:\?[^}}]+\}}", image), image


def test_data_services_keep_their_data_in_volumes_and_report_health() -> None:
    stack = load()
    for name, target in (("postgres", "/var/lib/postgresql/data"), ("redis", "/data")):
        service = stack["services"][name]
        (volume,) = service["volumes"]
        source, mount = volume.split(":")
        assert mount == target
        assert source in stack["volumes"]
        assert service["healthcheck"]["test"][0] == "CMD-SHELL"
        # Two servers on one data directory would corrupt it.
        assert service["deploy"]["update_config"]["order"] == "stop-first"


def test_nothing_publishes_a_port_and_only_the_apps_face_caddy() -> None:
    stack = load()
    networks = stack["networks"]
    assert networks["internal"] == {"driver": "overlay", "internal": True}
    assert networks["caddy"] == {"external": True}
    for name, service in stack["services"].items():
        assert "ports" not in service, f"{name} publishes a port"
        assert "internal" in service["networks"], name
        assert ("caddy" in service["networks"]) == (name in APPS), name
    for name in ("postgres", "redis", "redis-cache"):
        assert stack["services"][name]["networks"] == ["internal"]


@pytest.mark.parametrize("name", DEPLOYABLES)
def test_services_roll_out_start_first_and_roll_back_on_failure(name: str) -> None:
    deploy = services()[name]["deploy"]
    assert deploy["replicas"] >= 1
    assert deploy["update_config"]["order"] == "start-first"
    assert deploy["update_config"]["failure_action"] == "rollback"
    assert deploy["restart_policy"]["condition"] == "on-failure"
    limits = deploy["resources"]["limits"]
    assert limits["cpus"] and limits["memory"]


def test_only_blog_migrates() -> None:
    for name in DEPLOYABLES:
        environment = services()[name].get("environment", {})
        assert (environment.get("RUN_MIGRATIONS") == "true") == (name == "blog"), name


def test_apps_reach_each_other_by_service_name() -> None:
    for name in DEPLOYABLES:
        environment = services()[name]["environment"]
        for app in APPS:
            assert environment[f"APP_INTERNAL_URL_{app.upper()}"] == f"http://{app}:8000"


def test_secrets_come_from_the_env_file_never_from_the_stack_file() -> None:
    text = COMPOSE.read_text()
    for name, service in services().items():
        assert service.get("env_file") == ".env", name
        for key, value in (service.get("environment") or {}).items():
            assert not re.search(r"PASSWORD|SECRET|DATABASE_URL|REDIS_URL", key), (name, key)
            assert "@" not in str(value), (name, key)
    assert "SECRET_KEY" not in text
    assert not re.search(r"postgres(ql)?://\S+:\S+@", text)


@pytest.mark.skipif(shutil.which("docker") is None, reason="the docker client is not installed")
def test_docker_stack_config_accepts_the_stack(tmp_path: Path) -> None:
    # `docker stack deploy` reads env_file on the client, so the example must
    # parse as a Docker env file too.
    shutil.copy(COMPOSE, tmp_path / "docker-compose.yml")
    shutil.copy(REPO_ROOT / ".env.example", tmp_path / ".env")
    argv = [str(shutil.which("docker")), "stack", "config", "-c", "docker-compose.yml"]
    # A bare environment: nothing from the caller's shell may fill in TAG.
    env = {"HOME": str(tmp_path)}
    result = subprocess.run(
        argv,
        cwd=tmp_path,
        env={**env, "TAG": "0123abcd"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    resolved = yaml.safe_load(result.stdout)["services"]
    assert resolved["market"]["image"] == f"{REGISTRY}/market:0123abcd"
    # The stack's own value wins over the env file's.
    assert resolved["cart"]["environment"]["APP_INTERNAL_URL_BLOG"] == "http://blog:8000"
    assert resolved["blog"]["environment"]["ROSE_ASH_ENV"] == "prod"

    untagged = subprocess.run(
        argv, cwd=tmp_path, env=env, capture_output=True, text=True, check=False
    )
    assert untagged.returncode != 0
    assert "set TAG to the image tag to deploy" in untagged.stderr
