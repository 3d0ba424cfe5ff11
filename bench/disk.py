"""What this machine's file system charges for the operations a fresh clone's build is made of.

A fresh clone has no output folder: every folder and file of it must be made, whatever the
cache holds. This script times those operations, one by one, in a scratch folder beside the
benchmark's work (same file system), so that a fresh-clone time can be read against the floor
the disk sets:

    .venv/bin/python bench/disk.py [--count 2000] [--size 15000] [--dir bench/work]

It prints microseconds per operation: make a folder, create and write a file, hard-link a
file, rename a file over one (keeping and freeing the old one), overwrite a file in place.
Nothing here is blogsite's code: the numbers are the disk's.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent


def _timed(count: int, op: Callable[[int], None]) -> float:
    os.sync()
    start = time.perf_counter()
    for i in range(count):
        op(i)
    return (time.perf_counter() - start) / count * 1e6


def measure(where: Path, count: int, size: int) -> dict[str, float]:
    """Microseconds per operation, each over `count` folders or files of `size` bytes."""
    scratch = Path(tempfile.mkdtemp(prefix="disk-", dir=where))
    data = b"x" * size
    other = b"y" * size
    try:
        out, keep = scratch / "out", scratch / "keep"
        out.mkdir()
        keep.mkdir()

        def write(path: str, content: bytes) -> None:
            with open(path, "wb") as f:
                f.write(content)

        found = {
            "mkdir": _timed(count, lambda i: os.mkdir(f"{out}/d{i}")),
            "create+write": _timed(count, lambda i: write(f"{out}/d{i}/index.html", data)),
            "link": _timed(count, lambda i: os.link(f"{out}/d{i}/index.html", f"{keep}/k{i}")),
        }
        for i in range(count):
            write(f"{out}/d{i}/.new", other)
        # The old file is still linked from keep/: the rename frees nothing.
        found["rename over (old kept)"] = _timed(
            count, lambda i: os.replace(f"{out}/d{i}/.new", f"{out}/d{i}/index.html")
        )
        for i in range(count):
            write(f"{out}/d{i}/.new", data)
        # Now the old file has no other name: the rename frees it.
        found["rename over (old freed)"] = _timed(
            count, lambda i: os.replace(f"{out}/d{i}/.new", f"{out}/d{i}/index.html")
        )

        def overwrite(i: int) -> None:
            with open(f"{out}/d{i}/index.html", "r+b") as f:
                f.write(other)

        found["overwrite in place"] = _timed(count, overwrite)
        return found
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=2000, help="folders or files per operation")
    parser.add_argument("--size", type=int, default=15000, help="bytes per file (a page)")
    parser.add_argument("--dir", type=Path, default=ROOT / "work", help="where to measure")
    args = parser.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    for name, us in measure(args.dir, args.count, args.size).items():
        print(f"{name:<26} {us:8.0f} µs")


if __name__ == "__main__":
    main()
