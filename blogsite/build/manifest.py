"""What the last build into an output folder left, as typed records with one codec: the
store keeps them as plain marshal values (encode), and decode takes back only a value of
the record's exact layout, so anything malformed counts as absent. (The store drops a
cache made by other code whole.)"""

from __future__ import annotations

import os
import types
from collections.abc import Callable
from datetime import datetime
from functools import cache
from itertools import product
from pathlib import Path
from typing import Any, NamedTuple, Union, get_args, get_origin, get_type_hints

from blogsite.build.store import digest
from blogsite.site import Site


class FileEntry(NamedTuple):
    """One file of the output folder as the build that wrote it left it."""

    key: str | None  # what it was rendered from (None: not keyed, rendered every time)
    digest: str  # of its bytes
    size: int
    mtime_ns: int


class StoredWarning(NamedTuple):
    path: str
    message: str
    hint: str
    line: int | None


class Manifest(NamedTuple):
    input: str  # digest of every input: equal, and the folder intact, means nothing to do
    horizon: float | None  # when the next scheduled post goes live
    posts: int  # how many, for the site an unchanged build reports without loading it
    warnings: list[StoredWarning]
    files: dict[str, FileEntry]  # in output order


class KeyedFrom(NamedTuple):
    """What each page was keyed from (blogsite.build.reuse), kept apart from the idents:
    it is large and rarely changes, they are small and written on every build."""

    structure: str
    paths: list[str]
    deps: dict[str, list[int]]


class Idents(NamedTuple):
    structure: str
    idents: list[str]


class LastGraph(NamedTuple):
    """The last build's site structure, its posts and what each page was keyed from."""

    structure: str
    paths: list[str]
    idents: list[str]
    deps: dict[str, list[int]]


class TemplateAnalysis(NamedTuple):  # blogsite.build.keys.analyse_template's
    attrs: list[str]
    refs: list[str]
    dynamic: bool
    names: list[str]


# ----- the codec


def encode(value: Any) -> Any:
    """A record as the store keeps it: plain tuples, lists, dicts and scalars."""
    if isinstance(value, tuple):
        return tuple(map(encode, value))
    if isinstance(value, list):
        return list(map(encode, value))
    if isinstance(value, dict):
        return {k: encode(v) for k, v in value.items()}
    return value


class _Unsound(Exception):
    pass


def decode(kind: Any, data: object) -> Any:
    """`data` as a `kind` (a record, or a list or dict of them), or None if it is not one."""
    try:
        return _reader(kind)(data)  # type: ignore[misc]  # kind is a record, list or dict
    except _Unsound:
        return None


def _types(kind: Any) -> tuple[type, ...]:
    """The types a stored value of `kind` may have."""
    if get_origin(kind) in (Union, types.UnionType):
        return tuple(t for a in get_args(kind) for t in _types(a))
    if get_origin(kind) is not None:
        return (get_origin(kind),)  # list or dict
    return (float, int) if kind is float else (tuple,) if issubclass(kind, tuple) else (kind,)


@cache
def _reader(kind: Any) -> Callable[[Any], Any] | None:
    """What takes a `kind` back from its stored value; None when checking its type is all."""
    origin, args = get_origin(kind), get_args(kind)
    if origin in (list, dict):
        allowed, item = frozenset(_types(args[-1])), _reader(args[-1])

        def collection(v: Any) -> Any:
            values = v.values() if type(v) is dict is origin else v
            if type(v) is not origin or not all(type(x) in allowed for x in values) or (
                origin is dict and not all(type(k) is str for k in v)
            ):
                raise _Unsound
            if item is None:
                return v
            return dict(zip(v, map(item, values), strict=True)) if origin is dict else list(map(item, v))

        return collection
    if not (isinstance(kind, type) and issubclass(kind, tuple)):
        return None
    hints = list(get_type_hints(kind).values())
    layouts = frozenset(product(*map(_types, hints)))  # every field's type checked at once
    fields, make = [_reader(h) for h in hints], kind._make  # type: ignore[attr-defined]
    nested = any(f is not None for f in fields)

    def record(v: Any) -> Any:
        if type(v) is not tuple or tuple(map(type, v)) not in layouts:
            raise _Unsound
        return make([f(x) if f else x for f, x in zip(fields, v, strict=True)]) if nested else make(v)

    return record


# ----- reading what the last build left


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


def last_graph(keyed_from: object, idents: object) -> LastGraph | None:
    """The last build's graph from its two stored parts, if they are sound and agree."""
    a, b = decode(KeyedFrom, keyed_from), decode(Idents, idents)
    if a is None or b is None or a.structure != b.structure or len(a.paths) != len(b.idents):
        return None
    return LastGraph(a.structure, a.paths, b.idents, a.deps)


def same_stat(path: Path | str, entry: FileEntry) -> bool:
    try:
        st = os.stat(path)
    except OSError:
        return False
    return st.st_size == entry.size and st.st_mtime_ns == entry.mtime_ns


def still_there(path: str, entry: FileEntry) -> FileEntry | None:
    """The entry of a file the last build wrote, if the file still holds those bytes: by
    its size and time stamp, or else by its digest (an output folder restored by CI, or
    copied, has new time stamps and the same bytes). None if it changed or is gone."""
    try:
        st = os.stat(path)
        if st.st_size != entry.size:
            return None
        if st.st_mtime_ns == entry.mtime_ns:
            return entry
        with open(path, "rb") as f:
            data = f.read()
    except OSError:
        return None
    return entry._replace(mtime_ns=st.st_mtime_ns) if digest(data) == entry.digest else None


def intact(out_dir: Path, manifest: Manifest) -> bool:
    base = os.path.join(str(out_dir), "")
    return all(same_stat(base + rel, entry) for rel, entry in manifest.files.items())
