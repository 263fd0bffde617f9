"""The config loader: YAML, environment overrides, one clear line per mistake."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from shared.infrastructure.config import ConfigError, load_settings

GOOD_ENV = {
    "DATABASE_URL": "postgresql://rose@127.0.0.1:5432/rose_ash",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "SECRET_KEY": "x" * 40,
    "ROSE_ASH_ENV": "dev",
}


def without(name: str) -> dict[str, str]:
    return {key: value for key, value in GOOD_ENV.items() if key != name}


def test_settings_come_from_yaml_and_environment() -> None:
    settings = load_settings(GOOD_ENV)
    assert settings.database.async_url == "postgresql+asyncpg://rose@127.0.0.1:5432/rose_ash"
    assert settings.apps["market"].base_url == "http://market.localhost:8002"
    assert settings.environment == "dev"


def test_environment_overrides_an_app_url() -> None:
    env = {**GOOD_ENV, "APP_BASE_URL_MARKET": "https://market.rose-ash.com/"}
    assert load_settings(env).apps["market"].base_url == "https://market.rose-ash.com"


@pytest.mark.parametrize(
    ("missing", "named"),
    [
        ("DATABASE_URL", "DATABASE_URL"),
        ("REDIS_URL", "REDIS_URL"),
        ("SECRET_KEY", "SECRET_KEY"),
        ("ROSE_ASH_ENV", "ROSE_ASH_ENV"),
    ],
)
def test_a_missing_required_setting_is_named(missing: str, named: str) -> None:
    with pytest.raises(ConfigError, match=f"^{named} is not set"):
        load_settings(without(missing))


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("DB_POOL_SIZE", "lots", "DB_POOL_SIZE (database.pool_size) is invalid"),
        ("DB_POOL_SIZE", "0", "DB_POOL_SIZE (database.pool_size) is invalid"),
        ("DATABASE_URL", "mysql://x/y", "must be a postgresql:// URL"),
        ("REDIS_URL", "127.0.0.1:6379", "must be a redis:// URL"),
        ("SECRET_KEY", "short", "SECRET_KEY (secret_key) is invalid"),
        ("ROSE_ASH_ENV", "staging", "ROSE_ASH_ENV (environment) is invalid"),
        ("APP_BASE_URL_BLOG", "blog.example", "APP_BASE_URL_BLOG (apps.blog.base_url)"),
    ],
)
def test_an_invalid_setting_is_named(name: str, value: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings({**GOOD_ENV, name: value})
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_an_unknown_yaml_setting_is_refused(tmp_path: Path) -> None:
    config = tmp_path / "app-config.yaml"
    config.write_text(Path("_config/app-config.yaml").read_text() + "\ndatabse:\n  pool_size: 3\n")
    with pytest.raises(ConfigError, match="databse is not a known setting"):
        load_settings(GOOD_ENV, path=config)


def test_broken_yaml_names_the_file_and_line(tmp_path: Path) -> None:
    config = tmp_path / "app-config.yaml"
    config.write_text("environment: dev\napps: [unclosed\n")
    with pytest.raises(ConfigError, match=r"app-config.yaml is not valid YAML at line \d"):
        load_settings(GOOD_ENV, path=config)


def test_a_missing_config_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"nowhere\.yaml does not exist"):
        load_settings({**GOOD_ENV, "ROSE_ASH_CONFIG": str(tmp_path / "nowhere.yaml")})


def test_an_app_with_a_missing_setting_exits_with_one_line(repo_root: Path) -> None:
    env = {key: value for key, value in os.environ.items() if key not in GOOD_ENV}
    env.update(without("DATABASE_URL"))
    result = subprocess.run(
        [sys.executable, "-c", "import market.app; market.app.create_app()"],
        cwd=repo_root,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "rose-ash market: configuration error: DATABASE_URL is not set: give the PostgreSQL "
        "URL, e.g. postgresql://rose:secret@127.0.0.1:5432/rose_ash"
    ]


def test_the_environment_must_be_named() -> None:
    """An unset ROSE_ASH_ENV no longer means dev (no Secure cookies, console mail)."""
    with pytest.raises(ConfigError, match=r"^ROSE_ASH_ENV is not set"):
        load_settings(without("ROSE_ASH_ENV"))


def test_the_console_mailer_is_refused_in_prod() -> None:
    env = {**GOOD_ENV, "ROSE_ASH_ENV": "prod", "MAIL_BACKEND": "console"}
    with pytest.raises(ConfigError, match=r"^MAIL_BACKEND=console is refused"):
        load_settings(env)
    assert load_settings({**env, "MAIL_BACKEND": "smtp"}).mail.backend == "smtp"


@pytest.mark.parametrize(("environment", "secure"), [("dev", False), ("test", True)])
def test_one_cookie_policy_secure_outside_dev(environment: str, secure: bool) -> None:
    settings = load_settings({**GOOD_ENV, "ROSE_ASH_ENV": environment})
    assert settings.secure_cookies is secure
