"""The worker's job settings, from the environment (every one optional)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from shared.infrastructure.config import ConfigError


@dataclass(frozen=True, slots=True)
class JobSettings:
    concurrency: int = 8  # JOBS_CONCURRENCY: jobs run at once by one worker
    poll_seconds: float = 5.0  # JOBS_POLL_SECONDS: the fallback when no NOTIFY comes
    lease_seconds: float = 60.0  # JOBS_LEASE_SECONDS: how soon a dead worker's job is retaken
    stop_grace: float = 20.0  # JOBS_STOP_GRACE: seconds a stopping worker lets its jobs finish
    keep_succeeded_days: float = 7.0  # JOBS_KEEP_SUCCEEDED_DAYS
    keep_dead_days: float = 30.0  # JOBS_KEEP_DEAD_DAYS
    # JOBS_KIND_MODULES: extra modules of kinds to import, comma-separated (the tests').
    kind_modules: tuple[str, ...] = ()

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> JobSettings:
        env = os.environ if environ is None else environ
        default = cls()
        modules = tuple(m.strip() for m in env.get("JOBS_KIND_MODULES", "").split(",") if m.strip())
        return cls(
            concurrency=int(_number(env, "JOBS_CONCURRENCY", default.concurrency, 1, 1000)),
            poll_seconds=_number(env, "JOBS_POLL_SECONDS", default.poll_seconds, 0.05, 600),
            lease_seconds=_number(env, "JOBS_LEASE_SECONDS", default.lease_seconds, 0.5, 86400),
            stop_grace=_number(env, "JOBS_STOP_GRACE", default.stop_grace, 0, 3600),
            keep_succeeded_days=_number(
                env, "JOBS_KEEP_SUCCEEDED_DAYS", default.keep_succeeded_days, 0, 3650
            ),
            keep_dead_days=_number(env, "JOBS_KEEP_DEAD_DAYS", default.keep_dead_days, 0, 3650),
            kind_modules=modules,
        )


def _number(env: Mapping[str, str], name: str, default: float, low: float, high: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a number") from None
    if not low <= value <= high:
        raise ConfigError(f"{name}={raw!r} must be between {low:g} and {high:g}")
    return value
