"""`schema.sql`: the reference schema, regenerated from the migrations.

    python -m shared.dev.schema           # rewrite schema.sql
    python -m shared.dev.schema --check   # exit 1 when schema.sql has drifted

Both migrate a brand-new database in a throwaway embedded PostgreSQL 16 and
dump it with the matching pg_dump, so the file depends only on the migrations.
"""

from __future__ import annotations

import argparse
import difflib
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from shared.dev.embedded import pg_bin_dir, start_postgres

REPO_ROOT = Path(__file__).resolve().parents[2]
SCHEMA_PATH = REPO_ROOT / "schema.sql"
HEADER = (
    "-- Rose Ash reference schema, generated from the Alembic migrations by\n"
    "-- `make schema` (python -m shared.dev.schema). Do not edit by hand.\n"
)


def migrate(database_url: str, revision: str = "head", *, down: bool = False) -> None:
    """Run `alembic upgrade` (or `downgrade`) against the database; raise with its output."""
    command = "downgrade" if down else "upgrade"
    result = subprocess.run(
        [sys.executable, "-m", "alembic", "-c", str(REPO_ROOT / "alembic.ini"), command, revision],
        env={**os.environ, "DATABASE_URL": database_url},
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"alembic {command} {revision} failed:\n{result.stderr}")


def _normalise(dump: str) -> str:
    """Keep the DDL; drop what varies by pg_dump version or session settings."""
    kept: list[str] = []
    for line in dump.splitlines():
        if line.startswith(
            ("--", "SET ", "SELECT pg_catalog.set_config", "\\restrict", "\\unrestrict")
        ):
            continue
        if not line.strip() and (not kept or not kept[-1].strip()):
            continue
        kept.append(line)
    return HEADER + "\n" + "\n".join(kept).strip() + "\n"


def dump_schema(database_url: str) -> str:
    result = subprocess.run(
        [
            str(pg_bin_dir() / "pg_dump"),
            "--schema-only",
            "--no-owner",
            "--no-privileges",
            "--no-comments",
            "--no-tablespaces",
            database_url,
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"pg_dump failed: {result.stderr.strip()}")
    return _normalise(result.stdout)


def generate_schema() -> str:
    with tempfile.TemporaryDirectory(prefix="rose-ash-schema-") as scratch:
        server = start_postgres(Path(scratch) / "data", fast=True)
        try:
            url = server.create_database("schema")
            migrate(url)
            return dump_schema(url)
        finally:
            server.stop()


def schema_diff(expected: str, actual: str) -> str:
    return "".join(
        difflib.unified_diff(
            expected.splitlines(keepends=True),
            actual.splitlines(keepends=True),
            "schema.sql (committed)",
            "schema.sql (from the migrations)",
        )
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail when schema.sql has drifted")
    args = parser.parse_args(argv)
    print("schema: migrating a fresh database …", file=sys.stderr)
    fresh = generate_schema()
    if args.check:
        current = SCHEMA_PATH.read_text() if SCHEMA_PATH.exists() else ""
        if current != fresh:
            print(schema_diff(current, fresh), end="")
            print("schema: schema.sql has drifted: run `make schema`", file=sys.stderr)
            return 1
        print("schema: schema.sql matches the migrations", file=sys.stderr)
        return 0
    SCHEMA_PATH.write_text(fresh)
    print(f"schema: wrote {SCHEMA_PATH.relative_to(REPO_ROOT)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
