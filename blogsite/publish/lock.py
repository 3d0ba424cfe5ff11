"""The publish lock, `.syndication.lock` in the site folder: one `blogsite publish` at a time.

Two publishes at once could both see a post as new and announce it twice, so `publish` holds
this lock for its whole run. A lock left behind by a killed process must not block the next
run from cron or CI: a lock whose process is gone (or whose pid now belongs to another
process), or which is older than an hour, is taken over.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from blogsite.errors import BlogsiteError, Problem, display_path

LOCK_FILE = ".syndication.lock"
# A publish normally takes seconds; a lock this old belongs to a hung or vanished process
# (possibly on another machine sharing the folder, where its pid means nothing to us).
STALE_LOCK_SECONDS = 3600


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    except OSError:
        return False
    # A zombie (killed, not yet reaped by its parent) no longer runs anything.
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        if stat.rsplit(")", 1)[-1].split()[0] == "Z":
            return False
    except (OSError, IndexError):
        pass
    return True


def _process_start(pid: int) -> str:
    """Kernel start time of `pid` (Linux), so a recycled pid is not mistaken for the owner."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(")", 1)[-1].split()[19]
    except (OSError, IndexError):
        return ""


@contextlib.contextmanager
def publish_lock(root: Path | str) -> Iterator[Path]:
    """Hold the site's publish lock, or raise BlogsiteError naming who holds it.

    A lock whose process is gone (killed, crashed) or which is older than an hour is taken over.
    """
    path = Path(root) / LOCK_FILE
    info = {
        "pid": os.getpid(),
        "host": socket.gethostname(),
        # The same UTC form as the times of syndication.toml, for a human comparing the two.
        "started": _now().strftime("%Y-%m-%dT%H:%M:%SZ"),
        "proc_start": _process_start(os.getpid()),
    }
    for _ in range(3):
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            holder = _read_lock(path)
            if _lock_is_stale(path, holder):
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()
                continue
            who = f"pid {holder.get('pid', '?')}"
            if holder.get("host"):
                who += f" on {holder['host']}"
            if holder.get("started"):
                who += f", started {holder['started']}"
            raise BlogsiteError(
                Problem(
                    display_path(path),
                    f"another `blogsite publish` is running ({who})",
                    "wait for it to finish; if no publish is running, delete this lock file",
                )
            ) from None
        with os.fdopen(fd, "w") as fh:
            json.dump(info, fh)
            fh.write("\n")
        break
    else:
        raise BlogsiteError(
            Problem(display_path(path), "could not take the publish lock", "delete the lock file")
        )
    try:
        yield path
    finally:
        # Only remove our own lock: a stale-lock takeover by another process must not be undone.
        if _read_lock(path).get("pid") == info["pid"]:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()


def _read_lock(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def _lock_is_stale(path: Path, holder: dict[str, Any]) -> bool:
    try:
        age = _now().timestamp() - path.stat().st_mtime
    except FileNotFoundError:
        return True
    if age > STALE_LOCK_SECONDS:
        return True
    pid = holder.get("pid")
    if not isinstance(pid, int):
        # Unreadable: perhaps being written right now. Give it a few seconds before taking over.
        return age > 10
    if holder.get("host") and holder["host"] != socket.gethostname():
        return False  # cannot check a process on another machine; the age rule still applies
    if not _pid_alive(pid):
        return True
    started = holder.get("proc_start")
    return bool(started) and started != _process_start(pid)


def touch_lock(root: Path | str) -> None:
    """Refresh the lock's age during a long publish (e.g. while waiting out a rate limit)."""
    with contextlib.suppress(OSError):
        os.utime(Path(root) / LOCK_FILE)
