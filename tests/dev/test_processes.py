"""Child supervision: a stop reaches the whole process group and never a stranger's pid."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import psutil
import pytest

from shared.dev.processes import spawn, stop_all

# A child that forks a grandchild into its group, then waits; both ignore SIGTERM
# when asked to, like a server stuck in shutdown.
FAMILY = """
import os, signal, sys, time
if sys.argv[1] == "stubborn":
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
if os.fork() == 0:
    time.sleep(300)
print("ready", flush=True)
time.sleep(300)
"""


def _start_family(kind: str) -> tuple[subprocess.Popen[bytes], list[psutil.Process]]:
    proc = spawn([sys.executable, "-c", FAMILY, kind], stdout=subprocess.PIPE)
    assert proc.stdout is not None
    assert proc.stdout.readline() == b"ready\n"
    proc.stdout.close()  # nothing more to read; an open pipe would warn at exit
    family = [psutil.Process(proc.pid), *psutil.Process(proc.pid).children(recursive=True)]
    assert len(family) == 2
    return proc, family


def _gone(processes: list[psutil.Process]) -> bool:
    _gone_list, alive = psutil.wait_procs(processes, timeout=5)
    return alive == []


def test_stop_all_ends_the_child_and_what_it_forked() -> None:
    proc, family = _start_family("polite")

    stop_all([(proc, signal.SIGTERM)], timeout=5)

    assert proc.returncode == -signal.SIGTERM
    assert _gone(family)


def test_stop_all_kills_a_child_that_ignores_its_signal_after_the_timeout() -> None:
    proc, family = _start_family("stubborn")
    started = time.monotonic()

    stop_all([(proc, signal.SIGTERM)], timeout=0.5)

    assert proc.returncode == -signal.SIGKILL
    assert 0.5 <= time.monotonic() - started < 5
    assert _gone(family)


def test_stopping_again_never_signals_the_old_pid(monkeypatch: pytest.MonkeyPatch) -> None:
    # Once reaped, the pid may belong to another process (pids wrap around),
    # so a second stop must not send anything to it.
    proc, _family = _start_family("polite")
    stop_all([(proc, signal.SIGTERM)], timeout=5)
    signalled: list[int] = []
    monkeypatch.setattr(os, "killpg", lambda pgid, sig: signalled.append(pgid))

    stop_all([(proc, signal.SIGTERM)], timeout=5)

    assert signalled == []
