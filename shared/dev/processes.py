"""Child processes the dev tools own: start them, watch them, stop them for good.

Every child runs in its own session (process group), so a Ctrl-C at the
terminal reaches only the runner, which then stops the children in order
(apps first, then Redis, then PostgreSQL). Because each child leads its own
group, one `killpg` also reaches what it forked and left in that group (a
Hypercorn worker; PostgreSQL backends start their own sessions but exit when
the postmaster does). On Linux each child also gets a parent-death signal, so
even a runner killed with SIGKILL does not leave servers behind.
"""

from __future__ import annotations

import collections
import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

_PR_SET_PDEATHSIG = 1


@dataclass(frozen=True, slots=True)
class RunAs:
    """A system user to run a child as (PostgreSQL refuses to run as root)."""

    uid: int
    gid: int


def _parent_death_hook(sig: signal.Signals) -> Callable[[], None] | None:
    """A `preexec_fn` asking Linux to send `sig` to the child when we die.

    Only from the main thread: the kernel ties the signal to the thread that
    forked, so a child spawned from a short-lived worker thread would be
    killed when that thread ends.
    """
    if sys.platform != "linux" or threading.current_thread() is not threading.main_thread():
        return None
    prctl = ctypes.CDLL(None, use_errno=True).prctl  # resolved here, not in the forked child

    def hook() -> None:
        # Runs in the child after the uid switch, so the setting survives it.
        prctl(_PR_SET_PDEATHSIG, int(sig))

    return hook


def spawn(
    argv: Sequence[str | Path],
    *,
    stdout: IO[bytes] | int,
    env: Mapping[str, str] | None = None,
    cwd: Path | str | None = None,
    run_as: RunAs | None = None,
    death_signal: signal.Signals = signal.SIGTERM,
) -> subprocess.Popen[bytes]:
    """Start `argv` in a new session with stdout and stderr going to `stdout`."""
    kwargs: dict[str, Any] = {}
    if run_as is not None:
        # extra_groups=[] drops root's supplementary groups along with its uid.
        kwargs = {"user": run_as.uid, "group": run_as.gid, "extra_groups": []}
    return subprocess.Popen(
        [str(arg) for arg in argv],
        stdin=subprocess.DEVNULL,
        stdout=stdout,
        stderr=subprocess.STDOUT,
        env=dict(env) if env is not None else None,
        cwd=cwd,
        start_new_session=True,
        preexec_fn=_parent_death_hook(death_signal),
        **kwargs,
    )


def _signal_group(proc: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    """Send `sig` to the child's whole process group (it leads its own session).

    Only call this while the child is not yet reaped: until then its pid, and
    so the group id, cannot be handed to another process. Signalling the group
    of a reaped child could hit whatever got that pid since (pids wrap quickly
    on busy machines: pid_max is often 32768).
    """
    # ProcessLookupError: the group is gone, the child and all it forked have exited.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, sig)


def _has_exited(proc: subprocess.Popen[bytes]) -> bool:
    """Whether the child has exited, *without* reaping it (WNOWAIT keeps its pid reserved)."""
    if proc.returncode is not None:
        return True
    try:
        return os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
    except ChildProcessError:  # reaped behind Popen's back
        return True


def stop_all(
    procs: Sequence[tuple[subprocess.Popen[bytes], signal.Signals]],
    timeout: float = 10.0,
) -> None:
    """Ask every child to stop with its own signal, wait, then SIGKILL what is left.

    All children are signalled first and waited for together, so stopping six
    apps takes as long as the slowest one, not the sum. Children already
    reaped (stopped before, or seen exiting) are left alone. Safe to call twice.
    """
    running = [(proc, sig) for proc, sig in procs if proc.returncode is None]
    for proc, sig in running:
        _signal_group(proc, sig)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not all(_has_exited(proc) for proc, _ in running):
        time.sleep(0.05)
    for proc, _sig in running:
        # The leader is alive or an unreaped zombie, so the group id is still its
        # own: this reaches stragglers too (e.g. a worker the app forked).
        _signal_group(proc, signal.SIGKILL)
        proc.wait()


class PrefixedProcess:
    """A long-running child whose output lines are echoed with a name in front.

    One reader thread per child copies its merged stdout/stderr to our stdout
    and keeps the last lines, to show when the child fails.
    """

    def __init__(
        self,
        name: str,
        argv: Sequence[str | Path],
        *,
        env: Mapping[str, str],
        cwd: Path,
        echo: Callable[[str], None],
        prefix_width: int = 11,
        keep_lines: int = 40,
    ) -> None:
        self.name = name
        self._echo = echo
        self._prefix = f"{name:<{prefix_width}}| "
        self._tail: collections.deque[str] = collections.deque(maxlen=keep_lines)
        self.proc = spawn(argv, stdout=subprocess.PIPE, env=env, cwd=cwd)
        self._reader = threading.Thread(target=self._pump, name=f"output-{name}", daemon=True)
        self._reader.start()

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for raw in iter(self.proc.stdout.readline, b""):
            line = raw.decode("utf-8", "replace").rstrip()
            self._tail.append(line)
            self._echo(self._prefix + line)
        self.proc.stdout.close()

    def tail(self) -> list[str]:
        """The last lines the child printed (waits briefly for the reader to catch up)."""
        if self.proc.poll() is not None:
            self._reader.join(timeout=1.0)
        return list(self._tail)

    def exited(self) -> int | None:
        """The exit code if the child has ended, else None."""
        return self.proc.poll()
