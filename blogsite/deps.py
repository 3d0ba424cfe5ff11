"""What a rendered page depends on, as a key: equal keys mean equal bytes.

A page's key hashes the template it is rendered with (with every template it extends,
includes or imports), the language, the template globals and the data handed to it.
Data is fingerprinted by value. A post is fingerprinted by the parts of it that the page's
templates can read: the Jinja syntax tree of the templates tells which attributes they
use, so a listing page that never shows `post.html` is not re-rendered when a body changes,
while a theme that does show it gets the body in its key. A template that reads
attributes in a way the analysis cannot follow (`post[name]`, `attr(name)`) gets
everything in its key. A value of a type this module does not know makes the page's key
None: such a page is always rendered, which is slower but never wrong.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from datetime import date, datetime
from pathlib import PurePath
from typing import Any

from blogsite.post import Post

ALL = frozenset(["*"])

# A post's fields in groups, each with its own digest: the "meta" group is everything small
# that listings show; the others change with the body.
HEAVY = ("html", "toc", "body", "summary_html", "teaser")
GROUPS = ("meta", *HEAVY)
# Properties and methods of Post whose result depends only on the "meta" group.
DERIVED = {"display_title": "meta", "announces_on": "meta"}
_FIELDS = {f.name for f in dataclasses.fields(Post)}
# Set per build; never part of a post's group digests.
_BUILD_FIELDS = ("source", "url")


def _digest(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=12).digest()


def encode_value(value: Any) -> Any:
    """A JSON-able, type-tagged form of a post field's value (datetimes keep their zone)."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, datetime):
        tz = value.tzinfo
        key = getattr(tz, "key", None)
        if key is not None:
            return {"dt": value.replace(tzinfo=None).isoformat(), "zone": key, "fold": value.fold}
        if tz is None:
            return {"dt": value.isoformat()}
        offset = value.utcoffset()
        assert offset is not None
        return {"dt": value.replace(tzinfo=None).isoformat(), "offset": offset.total_seconds(),
                "tzname": value.tzname()}
    if isinstance(value, date):
        return {"date": value.isoformat()}
    if isinstance(value, tuple):
        return {"tuple": [encode_value(v) for v in value]}
    if isinstance(value, list):
        return [encode_value(v) for v in value]
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        return {"dict": {k: encode_value(v) for k, v in value.items()}}
    raise TypeError(f"cannot encode {type(value).__name__}")


def decode_value(value: Any) -> Any:
    if isinstance(value, list):
        return [decode_value(v) for v in value]
    if not isinstance(value, dict):
        return value
    if "tuple" in value:
        return tuple(decode_value(v) for v in value["tuple"])
    if "dict" in value:
        return {k: decode_value(v) for k, v in value["dict"].items()}
    if "date" in value:
        return date.fromisoformat(value["date"])
    from datetime import timedelta, timezone
    from zoneinfo import ZoneInfo

    when = datetime.fromisoformat(value["dt"])
    if "zone" in value:
        return when.replace(tzinfo=ZoneInfo(value["zone"]), fold=value["fold"])
    if "offset" in value:
        offset = timedelta(seconds=value["offset"])
        name = value.get("tzname")
        tz = timezone(offset) if name == timezone(offset).tzname(None) else timezone(offset, name)
        return when.replace(tzinfo=tz)
    return when


def group_digests(fields: dict[str, Any]) -> dict[str, bytes]:
    """One digest per group of a post's encoded fields (all fields but source and url)."""
    parts: dict[str, list[str]] = {g: [] for g in GROUPS}
    for name in sorted(fields):
        if name in _BUILD_FIELDS:
            continue
        group = name if name in HEAVY else "meta"
        parts[group].append(name)
        parts[group].append(json.dumps(fields[name], ensure_ascii=False, sort_keys=True))
    return {g: _digest("\0".join(v).encode()) for g, v in parts.items()}


def post_fields(post: Post) -> dict[str, Any]:
    """Every field of a post, encoded (raises TypeError on a value it cannot encode)."""
    return {
        f.name: encode_value(getattr(post, f.name))
        for f in dataclasses.fields(post)
        if f.name not in _BUILD_FIELDS
    }


def groups_for(attrs: frozenset[str]) -> tuple[str, ...]:
    """The groups of a post's fields that templates reading `attrs` may show."""
    if attrs is ALL or "*" in attrs:
        return GROUPS
    needed = set()
    for name in attrs:
        if name in _FIELDS:
            needed.add(name if name in HEAVY else "meta")
        elif name in DERIVED:
            needed.add(DERIVED[name])
        elif hasattr(Post, name):  # a property or method this module does not know
            return GROUPS
    return tuple(g for g in GROUPS if g in needed)


# ----- templates


def template_attrs(env, name: str) -> tuple[frozenset[str], tuple[str, ...]]:
    """(attribute names the template and everything it pulls in may read, the templates)."""
    from jinja2 import nodes

    seen: list[str] = []
    attrs: set[str] = set()
    dynamic = False
    todo = [name]
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.append(current)
        source, _filename, _uptodate = env.loader.get_source(env, current)
        tree = env.parse(source, current)
        for node in tree.find_all((nodes.Extends, nodes.Include, nodes.Import, nodes.FromImport)):
            target = node.template
            if isinstance(target, nodes.Const) and isinstance(target.value, str):
                todo.append(target.value)
            else:
                dynamic = True
        for node in tree.find_all(nodes.Getattr):
            attrs.add(node.attr)
        for node in tree.find_all(nodes.Getitem):
            if not isinstance(node.arg, nodes.Const):
                dynamic = True
        for node in tree.find_all(nodes.Const):
            if isinstance(node.value, str):
                attrs.add(node.value)
        for node in tree.find_all(nodes.Filter):
            if node.name == "attr" and not all(isinstance(a, nodes.Const) for a in node.args):
                dynamic = True
    return (ALL if dynamic else frozenset(attrs)), tuple(sorted(seen))


class Unkeyable(Exception):
    """A value this module cannot fingerprint: the page is rendered every time."""


class Fingerprints:
    """Fingerprints of template data for one build, memoized per object."""

    def __init__(self, published, groups_of) -> None:
        self.published = published  # Post -> bool, at this build's `now`
        self.groups_of = groups_of  # Post -> {group: digest}
        self._memo: dict[tuple[int, frozenset[str]], bytes] = {}
        self._keep: list[Any] = []  # keeps memoized objects alive, so ids stay unique
        self._groups: dict[frozenset[str], tuple[str, ...]] = {}

    def key(self, *parts: Any, attrs: frozenset[str] = ALL) -> str | None:
        out: list[bytes] = []
        try:
            for part in parts:
                self._add(part, attrs, out)
        except Unkeyable:
            return None
        return hashlib.blake2b(b"\x1f".join(out), digest_size=16).hexdigest()

    def _add(self, value: Any, attrs: frozenset[str], out: list[bytes]) -> None:
        if value is None or isinstance(value, (bool, int, float)):
            out.append(repr(value).encode())
        elif isinstance(value, str):
            out.append(b"s" + value.encode("utf-8", "surrogatepass"))
        elif isinstance(value, Post):
            out.append(self._post(value, attrs))
        elif isinstance(value, (list, tuple)):
            memo = (id(value), attrs)
            found = self._memo.get(memo) if isinstance(value, tuple) and len(value) > 8 else None
            if found is None:
                inner: list[bytes] = []
                for item in value:
                    self._add(item, attrs, inner)
                found = _digest(b"\x1e".join(inner))
                if isinstance(value, tuple) and len(value) > 8:
                    self._memo[memo] = found
                    self._keep.append(value)
            out.append(b"[" + found)
        elif isinstance(value, dict):
            out.append(b"{")
            for k in sorted(value, key=repr):
                self._add(k, attrs, out)
                self._add(value[k], attrs, out)
            out.append(b"}")
        elif isinstance(value, datetime):
            out.append(b"t" + value.isoformat().encode() + repr(value.tzinfo).encode())
        elif isinstance(value, date):
            out.append(b"d" + value.isoformat().encode())
        elif isinstance(value, PurePath):
            out.append(b"p" + str(value).encode("utf-8", "surrogateescape"))
        elif callable(value) and not dataclasses.is_dataclass(value):
            # Template helpers: pure functions of the configuration and the language, both
            # in every key; `is_published` reads `now`, which every post's key includes.
            out.append(b"f")
        elif dataclasses.is_dataclass(value) and not isinstance(value, type):
            memo = (id(value), attrs)
            found = self._memo.get(memo)
            if found is None:
                inner = [type(value).__qualname__.encode()]
                for f in dataclasses.fields(value):
                    if f.name in ("posts", "months") and f.name not in attrs and "*" not in attrs:
                        continue  # a tag's or a month's posts, when the template never reads them
                    inner.append(f.name.encode())
                    self._add(getattr(value, f.name), attrs, inner)
                if "posts" in attrs and not any(f.name == "posts" for f in dataclasses.fields(value)):
                    posts = getattr(value, "posts", None)  # e.g. Year.posts, a property
                    if posts is not None:
                        self._add(tuple(posts), attrs, inner)
                found = _digest(b"\x1e".join(inner))
                self._memo[memo] = found
                self._keep.append(value)
            out.append(b"o" + found)
        else:
            raise Unkeyable(type(value).__name__)

    def _post(self, post: Post, attrs: frozenset[str]) -> bytes:
        memo = (id(post), attrs)
        found = self._memo.get(memo)
        if found is None:
            groups = self._groups.get(attrs)
            if groups is None:
                groups = self._groups[attrs] = groups_for(attrs)
            digests = self.groups_of(post)
            found = b"P" + b"".join(digests[g] for g in groups) + b"\x1e".join(
                [post.url.encode(), str(post.source).encode("utf-8", "surrogateescape"),
                 b"1" if self.published(post) else b"0"]
            )
            self._memo[memo] = found
            self._keep.append(post)
        return found


def plain_groups(post: Post) -> dict[str, bytes]:
    """Group digests computed from a post's own fields (posts that did not come from the cache)."""
    cached = getattr(post, "_groups", None)
    if cached is not None:
        return cached
    try:
        return group_digests(post_fields(post))
    except TypeError:
        raise Unkeyable("post field") from None
