"""Running the embedded PostgreSQL when we are root (CI, containers).

PostgreSQL refuses to run as root, so as root we run initdb and postgres as a
dedicated system user. That user must own the data directory and be able to
reach it and the binaries: a fresh clone often lives under a root-only path
(/root/..., a 0700 temp dir), so we add the "others may traverse" bit (o+x,
not o+r: nobody gains the right to list those directories) on the parents
that lack it.
"""

from __future__ import annotations

import os
import pwd
import shutil
import stat
import subprocess
from pathlib import Path

from shared.dev.processes import RunAs

SYSTEM_USER = "rose-ash-pg"


def postgres_run_as() -> RunAs:
    """The system user PostgreSQL runs as, created on first use (needs root)."""
    try:
        entry = pwd.getpwnam(SYSTEM_USER)
    except KeyError:
        useradd = shutil.which("useradd") or "/usr/sbin/useradd"
        argv = [useradd, "--system", "--user-group", "--no-create-home"]
        argv += ["--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin", SYSTEM_USER]
        result = subprocess.run(argv, capture_output=True, text=True, check=False)
        try:
            # Looked up again even after a failure: a concurrent run may have won the race.
            entry = pwd.getpwnam(SYSTEM_USER)
        except KeyError:
            raise RuntimeError(
                f"PostgreSQL cannot run as root and creating the system user "
                f"{SYSTEM_USER!r} failed: {result.stderr.strip() or result.returncode}"
            ) from None
    return RunAs(uid=entry.pw_uid, gid=entry.pw_gid)


def _make_parents_traversable(path: Path) -> None:
    for parent in path.parents:
        mode = parent.stat().st_mode
        if not mode & stat.S_IXOTH:
            parent.chmod(stat.S_IMODE(mode) | stat.S_IXOTH)


def _make_readable(install: Path) -> None:
    """Make the PostgreSQL install readable (and its programs runnable) by everyone.

    pip keeps the wheel's modes, which normally already allow this; a restrictive
    umask at install time does not, so check one binary before walking the tree.
    """
    probe = (install / "bin" / "postgres").stat().st_mode
    if probe & stat.S_IROTH and probe & stat.S_IXOTH:
        return
    for root, dirs, files in os.walk(install):
        for name in dirs:
            entry = Path(root, name)
            entry.chmod(stat.S_IMODE(entry.stat().st_mode) | 0o005)
        for name in files:
            entry = Path(root, name)
            mode = stat.S_IMODE(entry.lstat().st_mode)
            extra = 0o005 if mode & stat.S_IXUSR else 0o004
            if not entry.is_symlink():
                entry.chmod(mode | extra)


def _chown_tree(path: Path, run_as: RunAs) -> None:
    """Give the data directory to the server user (all of it, if it was someone else's)."""
    if path.stat().st_uid == run_as.uid:
        return
    os.chown(path, run_as.uid, run_as.gid)
    for root, dirs, files in os.walk(path):
        for name in dirs + files:
            os.chown(Path(root, name), run_as.uid, run_as.gid, follow_symlinks=False)


def prepare_for(run_as: RunAs, *, data_dir: Path, socket_dir: Path, install: Path) -> None:
    """Let `run_as` own `data_dir` and `socket_dir` and run the binaries under `install`."""
    _make_parents_traversable(data_dir)
    _make_parents_traversable(install)
    _make_readable(install)
    for own in (data_dir, socket_dir):
        _chown_tree(own, run_as)
        own.chmod(0o700)
