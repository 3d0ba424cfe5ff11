"""Ctrl-C on the `blogsite` command: stop at once, and never hang on the way out.

The first Ctrl-C raises KeyboardInterrupt as usual, so the build stops cleanly (workers
stopped, the output folder left as one build or the other, exit 130). Stopping a pool of
worker processes can, rarely, block in multiprocessing's own teardown; a user would then
have to press Ctrl-C again. A watchdog started by that first Ctrl-C ends the process after
a grace period instead. The output folder cannot be half-written by it: its changes are
made with Ctrl-C held (output.interrupts_held), and the cache is an SQLite transaction.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from types import FrameType

# Long enough for a normal stop (workers terminated, a staging folder removed), short
# enough that nobody reaches for a second Ctrl-C.
GRACE_SECONDS = 10.0

_announced = threading.Event()
_watching = threading.Event()


def on_sigint(signum: int, frame: FrameType | None) -> None:
    """The command's SIGINT handler: start the watchdog, then stop as Python does."""
    if not _watching.is_set():
        _watching.set()
        threading.Thread(target=_watchdog, name="ctrl-c watchdog", daemon=True).start()
    raise KeyboardInterrupt


def announced() -> None:
    """The command has said "interrupted": the watchdog must not say it again."""
    _announced.set()


def install() -> None:
    signal.signal(signal.SIGINT, on_sigint)


def _watchdog() -> None:
    time.sleep(GRACE_SECONDS)
    if not _announced.is_set():
        os.write(2, b"interrupted\n")
    os._exit(130)
