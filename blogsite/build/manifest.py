"""What the last build into an output folder left behind: its manifest (each file with the
key it was rendered from, its digest, size and time stamp) and the record of which posts
each page was keyed from. Both are read with suspicion: anything malformed counts as absent."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from typing import NamedTuple

from blogsite.build.store import digest
from blogsite.site import Site

MANIFEST_FORMAT = 3


class FileEntry(NamedTuple):
    """One file of the output folder as the build that wrote it left it."""

    key: str | None  # what it was rendered from (None: not keyed, rendered every time)
    digest: str  # of its bytes
    size: int
    mtime_ns: int


def stored_files(entries: dict[str, FileEntry]) -> dict[str, tuple]:
    """The manifest's files as the store keeps them (plain tuples)."""
    return {rel: tuple(entry) for rel, entry in entries.items()}


def next_scheduled(site: Site, now: datetime) -> float | None:
    """When the next scheduled post goes live (a timestamp), or None: until then, a build
    with the same inputs gives the same site."""
    moment = now.timestamp()
    found: float | None = None
    for post in site.all_posts:  # newest first: the scheduled ones lead
        if post.date is None:
            if post.draft:
                continue
            break  # undated posts sort at `now`: what follows is in the past
        when = post.date.timestamp()
        if when <= moment:
            break
        if not post.draft:
            found = when if found is None else min(found, when)
    return found


def affected(deps: list[int], changed: dict[int, int] | None) -> bool:
    """Whether a page keyed from `deps` (post index * 64 + groups) shows a change."""
    if not changed:
        return False
    for dep in deps:
        bits = changed.get(dep >> 6)
        if bits is not None and bits & dep:
            return True
    return False


def read_manifest(data: object) -> dict | None:
    """The last build's manifest, if it is well formed."""
    if not isinstance(data, dict) or data.get("format") != MANIFEST_FORMAT:
        return None
    files = data.get("files")
    if not isinstance(data.get("input"), str) or not isinstance(files, dict):
        return None
    horizon = data.get("horizon")
    if horizon is not None and not isinstance(horizon, (int, float)):
        return None
    if not isinstance(data.get("count"), int) or not isinstance(data.get("warnings"), list):
        return None
    for warning in data["warnings"]:
        if not (
            isinstance(warning, list) and len(warning) == 4
            and all(isinstance(w, str) for w in warning[:3])
            and (warning[3] is None or type(warning[3]) is int)
        ):
            return None
    for entry in files.values():
        if not (
            type(entry) is tuple and len(entry) == 4
            and (entry[0] is None or type(entry[0]) is str)
            and type(entry[1]) is str and len(entry[1]) > 2 and entry[1].isalnum()
            and type(entry[2]) is int and type(entry[3]) is int
        ):
            return None
    return {**data, "files": {rel: FileEntry(*entry) for rel, entry in files.items()}}


def read_graph(data: object, more: object) -> dict | None:
    """The last build's record of what each page was keyed from, if well formed."""
    if not isinstance(data, dict) or not isinstance(more, dict):
        return None
    if more.get("structure") != data.get("structure"):
        return None
    paths, idents, deps = data.get("paths"), more.get("idents"), data.get("deps")
    if not (
        isinstance(paths, list) and isinstance(idents, list) and len(paths) == len(idents)
        and all(type(p) is str for p in paths) and all(type(i) is str for i in idents)
        and isinstance(data.get("structure"), str) and isinstance(deps, dict)
        and all(type(k) is str for k in deps)
        and all(
            type(v) is list and all(type(i) is int and 0 <= i < len(paths) * 64 for i in v)
            for v in deps.values()
        )
    ):
        return None
    return {**data, "idents": idents}


def read_shapes(data: object) -> dict[str, list]:
    """The post pages' shapes a build stored (path -> [shape digest, key]); {} if unsound."""
    if not isinstance(data, dict) or not all(
        type(k) is str and type(v) is list and len(v) == 2
        and type(v[0]) is str and type(v[1]) is str
        for k, v in data.items()
    ):
        return {}
    return data


def same_stat(path: Path | str, entry: FileEntry) -> bool:
    try:
        st = os.stat(path)
    except OSError:
        return False
    return st.st_size == entry[2] and st.st_mtime_ns == entry[3]


def still_there(path: str, entry: FileEntry) -> FileEntry | None:
    """The entry of a file the last build wrote, if the file still holds those bytes: by
    its size and time stamp, or else by its digest (an output folder restored by CI, or
    copied, has new time stamps and the same bytes). None if it changed or is gone."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    if st.st_size != entry.size:
        return None
    if st.st_mtime_ns == entry.mtime_ns:
        return entry
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError:
        return None
    if digest(data) != entry.digest:
        return None
    return entry._replace(mtime_ns=st.st_mtime_ns)


def intact(out_dir: Path, manifest: dict) -> bool:
    base = os.path.join(str(out_dir), "")
    stat = os.stat
    for rel, entry in manifest["files"].items():
        try:
            st = stat(base + rel)
        except OSError:
            return False
        if st.st_size != entry[2] or st.st_mtime_ns != entry[3]:
            return False
    return True
