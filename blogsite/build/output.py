"""The output folder: the record of the files blogsite wrote there (the only ones it ever
deletes or replaces), the refusal of a folder holding files it did not write, and the
removal of a file a build no longer makes."""

from __future__ import annotations

import json
import os
import signal
import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from blogsite.build.store import CACHE_DIR, digest
from blogsite.config import Config
from blogsite.errors import BlogsiteError, Problem, display_path
from blogsite.site import POSTS_DIR


def remove_output_file(out_dir: Path, rel: str) -> int:
    """Delete a file the previous build wrote, and the folders it leaves empty."""
    target = out_dir / rel
    try:
        target.unlink()
    except FileNotFoundError:
        return 0
    folder = target.parent
    while folder != out_dir and folder.is_relative_to(out_dir):
        try:
            folder.rmdir()
        except OSError:
            break
        folder = folder.parent
    return 1


class OutputFiles(Mapping):
    """BuildResult.files after a build: relative path -> the file in the output folder."""

    def __init__(self, out_dir: Path, paths: list[str]) -> None:
        self._out = out_dir
        self._paths = dict.fromkeys(paths)

    def __getitem__(self, rel: str) -> Path:
        if rel not in self._paths:
            raise KeyError(rel)
        return self._out / rel

    def __iter__(self) -> Iterator[str]:
        return iter(self._paths)

    def __len__(self) -> int:
        return len(self._paths)


def check_output_dir(config: Config, out_dir: Path) -> None:
    """Refuse an output folder that is the site itself (or holds it), or a file."""
    resolved = out_dir.resolve()
    root = config.root.resolve()
    if (
        resolved == root
        or root.is_relative_to(resolved)
        or resolved == (root / POSTS_DIR)
        or resolved == (root / CACHE_DIR)
    ):
        raise BlogsiteError(
            Problem(
                display_path(config.path),
                f"the output folder {display_path(out_dir)} would replace the site's own files",
                'choose a folder of its own, like [build] output = "public"',
            )
        )
    if resolved.exists() and not resolved.is_dir():
        raise BlogsiteError(
            Problem(display_path(out_dir), "the output path is a file, not a folder", "remove it")
        )


# ----- what blogsite wrote into an output folder (the only files it may ever delete)

OWNED_FORMAT = "blogsite-owned-1"
KEEP_UNKNOWN_HINT = (
    "build into an empty or new folder, or pass --keep-unknown to keep the files blogsite did not "
    "write and build the site around them (a file at a path the site produces is replaced)"
)


def owned_record(root: Path, where: str) -> Path:
    """The file listing what blogsite wrote into the output folder `where`. It lives in
    .blogsite-cache/ but is not part of the cache: a cache of other code is dropped, this
    record is kept (without it, the next build would refuse the folder)."""
    name = digest(where.encode("utf-8", "surrogateescape"))
    return root / CACHE_DIR / "owned" / f"{name}.json"


def read_owned(record: Path, where: str) -> frozenset[str] | None:
    """The files blogsite wrote into `where`, None if it has no sound record of them."""
    try:
        value = json.loads(record.read_bytes())
    except (OSError, ValueError):
        return None
    if not isinstance(value, dict) or value.get("format") != OWNED_FORMAT or value.get("output") != where:
        return None
    files = value.get("files")
    if not isinstance(files, list) or not all(isinstance(f, str) for f in files):
        return None
    if value.get("check") != digest("\n".join(files).encode("utf-8", "surrogateescape")):
        return None  # damaged: the folder counts as foreign, never as ours
    return frozenset(files)


def write_owned(record: Path, where: str, files: Iterable[str]) -> None:
    """Record (through a temporary file and a rename) that blogsite wrote `files`."""
    listed = sorted(files)
    value = {
        "format": OWNED_FORMAT,
        "output": where,
        "files": listed,
        "check": digest("\n".join(listed).encode("utf-8", "surrogateescape")),
    }
    tmp = record.with_name(f".{record.name}.{os.getpid()}")
    try:
        record.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(json.dumps(value, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, record)
    except OSError:
        # Unrecorded, the files count as foreign: the next build refuses the folder rather
        # than deleting anything.
        tmp.unlink(missing_ok=True)


def claim_output(
    out_dir: Path, owned: frozenset[str] | None, produced: Iterable[str], keep_unknown: bool
) -> frozenset[str]:
    """The files of out_dir blogsite may replace or delete (those it wrote); raise when the
    folder holds files it did not write where it would have to touch them."""
    if not out_dir.is_dir():
        return owned or frozenset()
    if owned is None:
        with os.scandir(out_dir) as entries:
            if next(entries, None) is not None and not keep_unknown:
                raise BlogsiteError(
                    Problem(
                        display_path(out_dir),
                        "the output folder is not empty and was not written by blogsite (it has "
                        "no record of writing these files); refusing to build into it",
                        KEEP_UNKNOWN_HINT + "; if it is an earlier build whose record went with "
                        ".blogsite-cache/, delete the folder first",
                    )
                )
        owned = frozenset()
    if keep_unknown:
        return owned
    base = os.path.join(str(out_dir), "")
    taken = [rel for rel in produced if rel not in owned and os.path.lexists(base + rel)]
    if taken:
        raise BlogsiteError(
            [
                Problem(
                    display_path(out_dir / rel),
                    "this file was not written by blogsite, and the site now makes a file here",
                    "move it out of the output folder, or pass --keep-unknown to let blogsite replace it",
                )
                for rel in taken
            ]
        )
    return owned


def holds_only(out_dir: Path, owned: frozenset[str]) -> bool:
    """Whether out_dir holds nothing but files blogsite wrote (hidden ones, folders and
    links included): only then may a staged build swap the whole folder out."""
    if out_dir.is_symlink():
        return False
    folders = {""}
    for rel in owned:
        parts = rel.split("/")
        folders.update("/".join(parts[:n]) for n in range(1, len(parts)))
    stack = [""]
    while stack:
        prefix = stack.pop()
        with os.scandir(os.path.join(out_dir, prefix)) as entries:
            for entry in entries:
                rel = prefix + entry.name
                if entry.is_dir(follow_symlinks=False):
                    if rel not in folders:
                        return False
                    stack.append(rel + "/")
                elif rel not in owned:
                    return False
    return True


@contextmanager
def interrupts_held() -> Iterator[None]:
    """Ctrl-C held back while the output folder changes (files replaced, a folder
    swapped): it takes effect right after, so the folder is one build or the other, never a
    mix the record does not describe. Only the main thread receives signals."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[object] = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: caught.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if caught:
        if callable(previous):  # the command's own handler (blogsite.interrupt) raises
            previous(signal.SIGINT, None)
        raise KeyboardInterrupt
