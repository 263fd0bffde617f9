"""deploy.sh and scripts/changed-apps.sh, run for real against a recording `docker`.

Each test gets a temporary git repository holding the real deploy.sh,
scripts/ and docker-compose.yml plus one folder per deployable, and a
stand-in `docker` first on PATH that records every call (argv and TAG) as a
JSON line and fails on request. What deploy.sh would do to a Swarm is then
exactly the recorded calls.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.ops.repo_files import APPS, DEPLOYABLES, REGISTRY, REPO_ROOT

FAKE_DOCKER = f"""#!{sys.executable}
# Stand-in docker for the tests: record the call, fail when told to.
import json, os, sys
argv = sys.argv[1:]
with open(os.environ["FAKE_DOCKER_LOG"], "a") as log:
    log.write(json.dumps({{"argv": argv, "tag": os.environ.get("TAG")}}) + "\\n")
fail = os.environ.get("FAKE_DOCKER_FAIL")
if fail and fail in " ".join(argv):
    print("fake docker: failing on purpose", file=sys.stderr)
    sys.exit(3)
"""


@dataclass
class DeployRepo:
    """A throwaway checkout with deploy.sh and a recording docker."""

    root: Path
    env: dict[str, str]
    log: Path
    results: list[subprocess.CompletedProcess[str]] = field(default_factory=list)

    def git(self, *args: str) -> str:
        result = subprocess.run(
            ["git", *args], cwd=self.root, env=self.env, capture_output=True, text=True
        )
        assert result.returncode == 0, result.stderr
        return result.stdout.strip()

    def commit(self, path: str, text: str = "changed\n") -> str:
        target = self.root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("a") as handle:
            handle.write(text)
        self.git("add", "-A")
        self.git("commit", "-q", "-m", f"change {path}")
        return self.git("rev-parse", "HEAD")

    def deploy(self, *args: str, **extra_env: str) -> subprocess.CompletedProcess[str]:
        self.log.write_text("")
        result = subprocess.run(
            [str(self.root / "deploy.sh"), *args],
            cwd=self.root,
            env={**self.env, **extra_env},
            capture_output=True,
            text=True,
            timeout=60,
        )
        self.results.append(result)
        return result

    def changed(self, *args: str) -> list[str]:
        result = subprocess.run(
            [str(self.root / "scripts" / "changed-apps.sh"), *args],
            cwd=self.root,
            env=self.env,
            capture_output=True,
            text=True,
            check=True,
        )
        return result.stdout.split()

    def calls(self) -> list[list[str]]:
        return [json.loads(line)["argv"] for line in self.log.read_text().splitlines()]

    def tags(self) -> list[str | None]:
        return [json.loads(line)["tag"] for line in self.log.read_text().splitlines()]

    def deployed_ref(self) -> str | None:
        result = subprocess.run(
            ["git", "rev-parse", "--verify", "-q", "refs/deploy/rose-ash"],
            cwd=self.root,
            env=self.env,
            capture_output=True,
            text=True,
        )
        return result.stdout.strip() or None

    @property
    def tag(self) -> str:
        return self.git("rev-parse", "HEAD")[:12]


@pytest.fixture
def repo(tmp_path: Path) -> DeployRepo:
    root = tmp_path / "repo"
    root.mkdir()
    shutil.copy2(REPO_ROOT / "deploy.sh", root / "deploy.sh")
    shutil.copytree(REPO_ROOT / "scripts", root / "scripts")
    shutil.copy2(REPO_ROOT / "docker-compose.yml", root / "docker-compose.yml")
    for name in DEPLOYABLES:
        (root / name).mkdir()
        (root / name / "Dockerfile").write_text("FROM scratch\n")
    (root / "shared").mkdir()
    (root / "shared" / "__init__.py").write_text("")
    (root / "README.md").write_text("Rose Ash\n")
    (root / ".gitignore").write_text(".env\n")
    (root / ".env").write_text("SECRET_KEY=x\n")

    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "docker").write_text(FAKE_DOCKER)
    (bin_dir / "docker").chmod(0o755)
    log = tmp_path / "docker.log"
    log.write_text("")

    env = {
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "HOME": str(tmp_path),
        "LANG": "C.UTF-8",
        "FAKE_DOCKER_LOG": str(log),
        # Nobody's git config may change what these tests see.
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": "Test",
        "GIT_AUTHOR_EMAIL": "test@rose-ash.invalid",
        "GIT_COMMITTER_NAME": "Test",
        "GIT_COMMITTER_EMAIL": "test@rose-ash.invalid",
    }
    deploy_repo = DeployRepo(root, env, log)
    deploy_repo.git("init", "-q", "-b", "main")
    deploy_repo.git("add", "-A")
    deploy_repo.git("commit", "-q", "-m", "initial")
    return deploy_repo


def image(name: str, tag: str) -> str:
    return f"{REGISTRY}/{name}:{tag}"


def build_call(name: str, tag: str) -> list[str]:
    return ["build", "--pull", "-f", f"{name}/Dockerfile", "-t", image(name, tag), "."]


def update_call(name: str, tag: str) -> list[str]:
    return [
        "service",
        "update",
        "--detach=false",
        "--with-registry-auth",
        "--image",
        image(name, tag),
        f"rose-ash_{name}",
    ]


STACK_DEPLOY = [
    "stack",
    "deploy",
    "--detach=false",
    "--with-registry-auth",
    "-c",
    "docker-compose.yml",
    "rose-ash",
]


def test_one_app_is_built_pushed_and_its_service_updated(repo: DeployRepo) -> None:
    result = repo.deploy("blog")
    assert result.returncode == 0, result.stderr
    tag = repo.tag
    assert repo.calls() == [
        build_call("blog", tag),
        ["push", image("blog", tag)],
        update_call("blog", tag),
    ]
    # Naming apps leaves the other apps' pending changes pending.
    assert repo.deployed_ref() is None


def test_several_apps_are_all_built_before_any_push_or_update(repo: DeployRepo) -> None:
    result = repo.deploy("market", "blog")
    assert result.returncode == 0, result.stderr
    tag = repo.tag
    assert repo.calls() == [
        build_call("blog", tag),
        build_call("market", tag),
        ["push", image("blog", tag)],
        ["push", image("market", tag)],
        update_call("blog", tag),
        update_call("market", tag),
    ]


def test_all_builds_every_image_and_deploys_the_whole_stack(repo: DeployRepo) -> None:
    result = repo.deploy("--all")
    assert result.returncode == 0, result.stderr
    tag = repo.tag
    calls = repo.calls()
    assert calls[: len(DEPLOYABLES)] == [build_call(name, tag) for name in DEPLOYABLES]
    assert calls[len(DEPLOYABLES) : -1] == [["push", image(name, tag)] for name in DEPLOYABLES]
    assert calls[-1] == STACK_DEPLOY
    # docker-compose.yml takes the image tag from TAG.
    assert repo.tags()[-1] == tag
    assert repo.deployed_ref() == repo.git("rev-parse", "HEAD")


def test_plain_run_detects_the_apps_changed_since_the_last_deploy(repo: DeployRepo) -> None:
    # Nothing deployed yet: everything is new.
    first = repo.deploy()
    assert first.returncode == 0, first.stderr
    assert repo.calls()[-1] == STACK_DEPLOY

    repo.commit("market/bp/products.py")
    second = repo.deploy()
    assert second.returncode == 0, second.stderr
    tag = repo.tag
    assert repo.calls() == [
        build_call("market", tag),
        ["push", image("market", tag)],
        update_call("market", tag),
    ]
    assert repo.deployed_ref() == repo.git("rev-parse", "HEAD")

    third = repo.deploy()
    assert third.returncode == 0, third.stderr
    assert repo.calls() == []
    assert "nothing to do" in third.stderr


@pytest.mark.parametrize("path", ["shared/infrastructure/db.py", "docker-compose.yml"])
def test_a_change_to_shared_code_or_the_stack_deploys_everything(
    repo: DeployRepo, path: str
) -> None:
    assert repo.deploy("--all").returncode == 0
    repo.commit(path, "# changed\n")
    result = repo.deploy()
    assert result.returncode == 0, result.stderr
    tag = repo.tag
    built = [call for call in repo.calls() if call[0] == "build"]
    assert built == [build_call(name, tag) for name in DEPLOYABLES]
    assert repo.calls()[-1] == STACK_DEPLOY


def test_a_named_deploy_leaves_other_changes_for_the_next_plain_run(repo: DeployRepo) -> None:
    assert repo.deploy("--all").returncode == 0
    repo.commit("market/app.py")
    repo.commit("cart/app.py")
    assert repo.deploy("market").returncode == 0
    result = repo.deploy()
    assert result.returncode == 0, result.stderr
    built = [call[3] for call in repo.calls() if call[0] == "build"]
    assert built == ["market/Dockerfile", "cart/Dockerfile"]


def test_dry_run_prints_the_plan_and_calls_no_docker(repo: DeployRepo) -> None:
    result = repo.deploy("--dry-run", "--all")
    assert result.returncode == 0, result.stderr
    assert repo.calls() == []
    tag = repo.tag
    assert f"would run: docker build --pull -f worker/Dockerfile -t {image('worker', tag)} ." in (
        result.stdout
    )
    assert f"would run: docker push {image('blog', tag)}" in result.stdout
    assert "would run: docker stack deploy" in result.stdout
    assert repo.deployed_ref() is None

    assert repo.deploy("--all").returncode == 0
    recorded = repo.deployed_ref()
    repo.commit("events/app.py")
    detected = repo.deploy("--dry-run")
    assert detected.returncode == 0, detected.stderr
    assert "would run: docker service update" in detected.stdout
    assert "rose-ash_events" in detected.stdout
    assert repo.calls() == []
    assert repo.deployed_ref() == recorded


def test_a_failing_build_stops_before_any_push_or_rollout(repo: DeployRepo) -> None:
    result = repo.deploy("--all", FAKE_DOCKER_FAIL="market/Dockerfile")
    assert result.returncode != 0
    assert "building market failed" in result.stderr
    assert "nothing after it was run" in result.stderr
    tag = repo.tag
    assert repo.calls() == [build_call("blog", tag), build_call("market", tag)]
    assert repo.deployed_ref() is None


def test_a_failing_service_update_stops_the_remaining_updates(repo: DeployRepo) -> None:
    result = repo.deploy("blog", "cart", FAKE_DOCKER_FAIL="rose-ash_blog")
    assert result.returncode != 0
    assert "updating service rose-ash_blog failed" in result.stderr
    assert repo.calls()[-1] == update_call("blog", repo.tag)


def test_an_unknown_app_is_refused_before_anything_runs(repo: DeployRepo) -> None:
    result = repo.deploy("blog", "shop")
    assert result.returncode != 0
    assert "unknown app 'shop'" in result.stderr
    assert "known: blog market cart events federation account worker" in result.stderr
    assert repo.calls() == []


def test_uncommitted_changes_are_refused(repo: DeployRepo) -> None:
    (repo.root / "blog" / "Dockerfile").write_text("FROM scratch\n# edited\n")
    result = repo.deploy("blog")
    assert result.returncode != 0
    assert "uncommitted changes" in result.stderr
    assert repo.calls() == []


def test_no_build_rolls_out_an_existing_tag_without_git(tmp_path: Path, repo: DeployRepo) -> None:
    # As on the Swarm host in CI: deploy.sh, scripts/ and the stack, no git.
    host = tmp_path / "host"
    host.mkdir()
    shutil.copy2(repo.root / "deploy.sh", host / "deploy.sh")
    shutil.copytree(repo.root / "scripts", host / "scripts")
    repo.log.write_text("")
    result = subprocess.run(
        [str(host / "deploy.sh"), "--no-build", "cart"],
        cwd=host,
        env={**repo.env, "TAG": "0123456789ab", "GIT_CEILING_DIRECTORIES": str(tmp_path)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert repo.calls() == [update_call("cart", "0123456789ab")]


def test_no_deploy_builds_and_pushes_only(repo: DeployRepo) -> None:
    result = repo.deploy("--no-deploy", "account")
    assert result.returncode == 0, result.stderr
    assert [call[0] for call in repo.calls()] == ["build", "push"]


def test_changed_apps_lists_what_each_path_rebuilds(repo: DeployRepo) -> None:
    base = repo.git("rev-parse", "HEAD")
    assert repo.changed("--list") == list(DEPLOYABLES)
    assert repo.changed(base) == []
    repo.commit("README.md")
    assert repo.changed(base) == []
    repo.commit("federation/bp/inbox.py")
    repo.commit("worker/entrypoint.sh")
    assert repo.changed(base) == ["federation", "worker"]
    middle = repo.git("rev-parse", "HEAD")
    repo.commit("alembic.ini")
    assert repo.changed(middle) == ["blog"]
    repo.commit("package.json", "{}\n")
    assert repo.changed(middle) == list(APPS)
    repo.commit("_config/app-config.yaml")
    assert repo.changed(middle) == list(DEPLOYABLES)


def test_changed_apps_treats_an_unknown_base_as_everything(repo: DeployRepo) -> None:
    assert repo.changed("") == list(DEPLOYABLES)
    assert repo.changed("0" * 40) == list(DEPLOYABLES)
    assert repo.changed("--since-deploy", "rose-ash") == list(DEPLOYABLES)


def test_a_stack_deploy_without_env_file_says_what_to_do(repo: DeployRepo) -> None:
    (repo.root / ".env").unlink()
    result = repo.deploy("--all")
    assert result.returncode != 0
    assert ".env not found next to docker-compose.yml" in result.stderr
    # Checked before building: no minutes lost on images that cannot ship.
    assert repo.calls() == []
