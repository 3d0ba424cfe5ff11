"""A fresh clone's output folder, laid out by a child process while the site loads.

On a fresh clone (or after the output folder was deleted) the cache still knows what the
last build wrote: every file's path and the digest of its bytes, whose copy the page store
holds. Most of those pages will be the same again, and what makes their folder costly is
not the pages but the file system: ten thousand folders (one per post) at a tenth of a
millisecond each on ext4, a second or more that threads do not shorten. So the folders
and the links to the stored pages are made by a forked process, from the last manifest,
while this process scans the sources, loads the site and keys the pages. The build then
only replaces the pages that changed and deletes those it no longer makes.

What the layout holds can be trusted as the page store can: each file is checked against
its digest before it is linked, and linked in one step (or copied to a temporary name and
renamed), so a file in the layout is a whole, checked copy. A layout whose process failed
is thrown away and the build writes the folder as it would have without it.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import threading
import time
from pathlib import Path

from blogsite.cache import PageStore, digest, read_file


def staging_dir(out_dir: Path) -> Path:
    """Where a build stages a new output folder before swapping it in."""
    return out_dir.parent / f".{out_dir.name}.staging-{os.getpid()}"


def _lay_out(staging: str, files: list[tuple[str, str]], store: str, report: str) -> None:
    """In the child: make every folder, link every sound stored page; write the paths
    that could not be placed to `report` (JSON), last."""
    os.mkdir(staging)
    base = staging + os.sep
    made: set[str] = {""}
    missed: list[str] = []
    pid = os.getpid()
    for rel, d in files:
        folder = os.path.dirname(rel)
        if folder not in made:
            # Sorted paths: a folder's parents come first; os.makedirs would stat each.
            parts = folder.split("/")
            for n in range(1, len(parts) + 1):
                sub = "/".join(parts[:n])
                if sub not in made:
                    try:
                        os.mkdir(base + sub)
                    except FileExistsError:
                        pass
                    made.add(sub)
        source = f"{store}/{d[:2]}/{d}"
        data = read_file(source)
        if data is None or digest(data) != d:
            missed.append(rel)
            continue
        target = base + rel
        try:
            os.link(source, target)
        except OSError:
            tmp = f"{base}{folder}/.{os.path.basename(rel)}.layout-{pid}"
            try:
                with open(tmp, "wb") as f:
                    f.write(data)
                os.replace(tmp, target)
            except OSError:
                missed.append(rel)
    with open(report + ".tmp", "w", encoding="utf-8") as f:
        json.dump(missed, f)
    os.replace(report + ".tmp", report)


def _child(staging: str, files: list[tuple[str, str]], store: str, report: str) -> None:
    try:
        started = time.perf_counter()
        _lay_out(staging, files, store, report)
        if os.environ.get("BLOGSITE_TIMINGS"):
            print(f"layout={time.perf_counter() - started:.3f}", file=sys.stderr)
    except BaseException:  # noqa: BLE001 - any failure: no report, the parent starts over
        os._exit(1)
    os._exit(0)


class Layout:
    """The staging folder of a build, being laid out from the last build's manifest."""

    # Below this many files, laying them out in the build's own process costs less than
    # starting another.
    MIN_FILES = 300

    def __init__(self, staging: Path, report: Path, pid: int, wanted: dict[str, str]) -> None:
        self.staging = staging
        self.report = report
        self.pid: int | None = pid
        self.wanted = wanted
        self.done = False
        self._status: int | None = None  # the child's wait status, once reaped

    @classmethod
    def start(cls, out_dir: Path, files: dict[str, list], pages: PageStore) -> Layout | None:
        """Start laying out `out_dir`'s staging folder from a manifest's files (path ->
        [key, digest, size, mtime]); None where that does not pay or cannot be done."""
        if len(files) < cls.MIN_FILES or not hasattr(os, "fork"):
            return None
        if threading.active_count() > 1:
            return None  # forking a process with threads can deadlock the child
        if out_dir.exists() or not out_dir.parent.is_dir() or not pages.folder.is_dir():
            return None
        staging = staging_dir(out_dir)
        report = staging.with_name(staging.name + ".placed")
        for leftover in (staging, report):
            if leftover.is_dir():
                shutil.rmtree(leftover, ignore_errors=True)
            elif leftover.exists():
                leftover.unlink()
        wanted = {
            rel: entry[1] for rel, entry in files.items()
            if type(entry[1]) is str and ".." not in rel.split("/") and not rel.startswith("/")
        }
        work = sorted(wanted.items())
        try:
            pid = os.fork()
        except OSError:
            return None
        if pid == 0:
            _child(str(staging), work, str(pages.folder), str(report))
        return cls(staging, report, pid, wanted)

    def running(self) -> bool:
        """Whether the child is still at work (if not, wait() returns at once)."""
        if self.pid is None or self._status is not None:
            return False
        pid, status = os.waitpid(self.pid, os.WNOHANG)
        if pid == 0:
            return True
        self._status = status
        return False

    def wait(self) -> dict[str, str] | None:
        """The files placed in the staging folder (path -> digest), once the child is
        done; None if it failed, with what it made removed."""
        if self.pid is None:
            return None
        status = self._status
        if status is None:
            _pid, status = os.waitpid(self.pid, 0)
        self.pid = None
        missed = None
        if os.waitstatus_to_exitcode(status) == 0:
            try:
                found = json.loads(self.report.read_text(encoding="utf-8"))
                if type(found) is list:
                    missed = set(found)
            except (OSError, ValueError):
                pass
        self._remove(self.report)
        if missed is None:
            self._remove(self.staging)
            return None
        self.done = True
        return {rel: d for rel, d in self.wanted.items() if rel not in missed}

    def discard(self) -> None:
        """Stop the child if it still runs and remove what it made, unless the build took
        the staging folder over."""
        if self.pid is not None:
            if self._status is None:
                try:
                    os.kill(self.pid, 9)
                    os.waitpid(self.pid, 0)
                except OSError:
                    pass
            self.pid = None
        self._remove(self.report)
        if not self.done:
            self._remove(self.staging)

    @staticmethod
    def _remove(path: Path) -> None:
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            try:
                path.unlink()
            except OSError:
                pass
