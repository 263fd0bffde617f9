"""SIGTERM/SIGINT from the first line of the worker process: a stop asked for while it
is still importing and connecting (seconds on a busy host) ends it at once with exit 0,
as nothing is claimed yet; once running, the worker's own handlers take over."""

from __future__ import annotations

import signal
from types import FrameType


def _stop_now(signum: int, _frame: FrameType | None) -> None:
    raise SystemExit(0)


def catch_early_stop() -> None:
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, _stop_now)


def restore_defaults() -> None:
    """For the short commands (list, show, retry): Ctrl-C interrupts as usual."""
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
