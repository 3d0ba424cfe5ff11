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
from zoneinfo import ZoneInfo

from blogsite.comments import RECORD_TYPES
from blogsite.post import Post, source_of

ALL = frozenset(["*"])

# A post's fields in groups, each with its own digest: the "meta" group is everything small
# that listings show; the others change with the body.
HEAVY = ("html", "toc", "body", "summary_html", "teaser")
GROUPS = ("meta", *HEAVY)
# Properties and methods of Post whose result depends only on the "meta" group.
DERIVED = {
    "display_title": "meta", "announces_on": "meta",
    "comment_count": "meta", "comment_thread": "meta", "mentions": "meta",
}
_FIELDS = {f.name for f in dataclasses.fields(Post)}
# Set per build; never part of a post's group digests.
_BUILD_FIELDS = ("source", "url", "stored")


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
    if type(value).__name__ in RECORD_TYPES and type(value) is RECORD_TYPES[type(value).__name__]:
        return {"record": type(value).__name__, "fields": {
            f.name: encode_value(getattr(value, f.name))
            for f in dataclasses.fields(value)  # type: ignore[arg-type]  # a RECORD_TYPES dataclass
        }}
    raise TypeError(f"cannot encode {type(value).__name__}")


def decode_value(value: Any) -> Any:
    kind = type(value)
    if kind is list:
        return [decode_value(v) for v in value]
    if kind is not dict:
        return value
    if "tuple" in value:
        items = value["tuple"]
        if all(type(v) is str for v in items):
            return tuple(items)
        return tuple(decode_value(v) for v in items)
    if "dict" in value:
        return {k: decode_value(v) for k, v in value["dict"].items()}
    if "record" in value:
        fields = {k: decode_value(v) for k, v in value["fields"].items()}
        return RECORD_TYPES[value["record"]](**fields)
    if "date" in value:
        return date.fromisoformat(value["date"])
    from datetime import timedelta, timezone

    when = datetime.fromisoformat(value["dt"])
    if "zone" in value:
        return when.replace(tzinfo=ZoneInfo(value["zone"]), fold=value["fold"])
    if "offset" in value:
        offset = timedelta(seconds=value["offset"])
        name = value.get("tzname")
        tz = timezone(offset) if name == timezone(offset).tzname(None) else timezone(offset, name)
        return when.replace(tzinfo=tz)
    return when


def group_digests(fields: dict[str, Any]) -> dict[str, str]:
    """One digest per group of a post's encoded fields (all fields but source and url)."""
    hashers = {g: hashlib.blake2b(digest_size=12) for g in GROUPS}
    for name in sorted(fields):
        if name in _BUILD_FIELDS:
            continue
        h = hashers[name if name in HEAVY else "meta"]
        value = fields[name]
        h.update(name.encode() + b"\0")
        if isinstance(value, str):
            h.update(b"s" + value.encode("utf-8", "surrogatepass") + b"\0")
        else:
            h.update(b"j" + json.dumps(value, ensure_ascii=False, sort_keys=True).encode() + b"\0")
    return {g: h.hexdigest() for g, h in hashers.items()}


def changed_groups(groups: dict[str, str], changes: dict[str, Any]) -> dict[str, str]:
    """A post's group digests after `changes` to its fields: each changed group's digest
    is made of its old one and the new values (equal changes, equal digests)."""
    updated = dict(groups)
    for name in sorted(changes):
        group = name if name in HEAVY else "meta"
        data = json.dumps([updated[group], name, encode_value(changes[name])], ensure_ascii=False)
        updated[group] = hashlib.blake2b(data.encode("utf-8", "surrogatepass"), digest_size=12).hexdigest()
    return updated


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


def analyse_template(
    source: str, name: str, env
) -> tuple[list[str], list[str], bool, list[str]]:
    """(attribute names one template file may read, templates it pulls in, whether it
    reads attributes or templates in ways the analysis cannot follow, the names it reads)."""
    from jinja2 import nodes

    tree = env.parse(source, name)
    refs: list[str] = []
    attrs: set[str] = set()
    dynamic = False
    for node in tree.find_all((nodes.Extends, nodes.Include, nodes.Import, nodes.FromImport)):
        target = node.template
        if isinstance(target, nodes.Const) and isinstance(target.value, str):
            refs.append(target.value)
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
    # Every name read, local or global: a superset of the globals the template uses.
    names = {node.name for node in tree.find_all(nodes.Name) if node.ctx == "load"}
    return sorted(attrs), sorted(set(refs)), dynamic, sorted(names)


def template_attrs(
    env, name: str, memo: dict[str, list] | None = None
) -> tuple[frozenset[str], tuple[str, ...], frozenset[str]]:
    """(attribute names the template and everything it pulls in may read, the templates,
    the variable names they read: ALL if the analysis cannot tell).

    `memo` maps a template source's digest to its analysis, across builds."""
    memo = {} if memo is None else memo
    seen: list[str] = []
    attrs: set[str] = set()
    names: set[str] = set()
    dynamic = False
    todo = [name]
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.append(current)
        source, _filename, _uptodate = env.loader.get_source(env, current)
        key = hashlib.blake2b(f"{current}\0{source}".encode(), digest_size=16).hexdigest()
        found = memo.get(key)
        if found is None:
            found = memo[key] = list(analyse_template(source, current, env))
        file_attrs, refs, file_dynamic, file_names = found
        attrs.update(file_attrs)
        names.update(file_names)
        todo.extend(refs)
        dynamic = dynamic or file_dynamic
    if dynamic:
        return ALL, tuple(sorted(seen)), ALL
    return frozenset(attrs), tuple(sorted(seen)), frozenset(names)


GROUP_BITS = {g: 1 << i for i, g in enumerate(GROUPS)}
_BITS: dict[tuple[str, ...], int] = {}


def _bits(groups: tuple[str, ...]) -> int:
    found = _BITS.get(groups)
    if found is None:
        found = _BITS[groups] = sum(GROUP_BITS[g] for g in groups)
    return found


class Whole:
    """A value to fingerprint with everything it holds, whatever the templates read."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value


class Unkeyable(Exception):
    """A value this module cannot fingerprint: the page is rendered every time."""


class Fingerprints:
    """Fingerprints of template data for one build, memoized per object."""

    def __init__(self, published, groups_of, shown=None) -> None:
        self.published = published  # Post -> bool, at this build's `now`
        self.groups_of = groups_of  # Post -> {group: hex digest}
        # Post -> bytes: what pages show of a post that is not in its file (its cover's
        # size, read from the picture): part of every fingerprint of the post.
        self.shown = shown or _nothing_more
        self._memo: dict[tuple[int, tuple], bytes] = {}
        self._keep: list[Any] = []  # keeps memoized objects alive, so ids stay unique
        self._views: dict[frozenset[str], tuple] = {}
        self._published: dict[int, bytes] = {}
        # Which posts each key was made from (ids): a later build whose site has the same
        # structure recomputes only the keys of pages showing a post that changed.
        # (Each post id with the groups of its fields the key covers, as a bit mask.)
        self._deps: dict[tuple, dict[int, int]] = {}
        self._stack: list[dict[int, int]] = []
        self.last_deps: dict[int, int] = {}

    def forget(self) -> None:
        """Drop the memos once every key is made (pages render without them)."""
        self._memo, self._keep, self._published, self._deps = {}, [], {}, {}

    def _view(self, attrs: frozenset[str]) -> tuple:
        """What of a post, a tag, a month or a year templates reading `attrs` may show:
        memos are per view, and most templates share one."""
        view = self._views.get(attrs)
        if view is None:
            everything = "*" in attrs
            view = self._views[attrs] = (
                (groups_for(attrs), everything or "source" in attrs),
                everything or "posts" in attrs,
                everything or "months" in attrs,
            )
        return view

    def key(self, *parts: Any, attrs: frozenset[str] = ALL) -> str | None:
        """The key of `parts`; `last_deps` then maps the ids of the posts in them to the
        groups of their fields the key covers (GROUP_BITS)."""
        out: list[bytes] = []
        self._stack.append({})
        try:
            for part in parts:
                self._add(part, attrs, out)
        except Unkeyable:
            return None
        finally:
            self.last_deps = self._stack.pop()
        return hashlib.blake2b(b"\x1f".join(out), digest_size=16).hexdigest()

    def _remember(self, memo: tuple, deps: dict[int, int]) -> None:
        self._deps[memo] = deps
        self._recall(memo)

    def _recall(self, memo: tuple) -> None:
        if self._stack:
            top = self._stack[-1]
            for post, bits in self._deps[memo].items():
                top[post] = top.get(post, 0) | bits

    def digest(self, *parts: Any, attrs: frozenset[str] = ALL) -> bytes | None:
        """Like key(), as bytes to embed in other keys."""
        found = self.key(*parts, attrs=attrs)
        return None if found is None else bytes.fromhex(found)

    def _add(  # noqa: C901, PLR0915 - one branch per value type on the keying hot path
        self, value: Any, attrs: frozenset[str], out: list[bytes]
    ) -> None:
        kind = type(value)
        if kind is str:
            out.append(b"s" + value.encode("utf-8", "surrogatepass"))
        elif kind is bytes:
            out.append(b"b" + value)
        elif value is None or kind is bool or kind is int or kind is float:
            out.append(repr(value).encode())
        elif isinstance(value, Post):
            out.append(self._post(value, attrs))
        elif kind is Whole:
            if isinstance(value.value, Post):
                out.append(self._post(value.value, attrs, GROUPS))
            else:
                self._add(value.value, ALL, out)
        elif kind is dict:
            out.append(b"{")
            keys = sorted(value) if all(type(k) is str for k in value) else sorted(value, key=repr)
            for k in keys:
                self._add(k, attrs, out)
                self._add(value[k], attrs, out)
            out.append(b"}")
        elif kind is list or kind is tuple:
            if kind is tuple and len(value) > 8:
                memo = (id(value), self._view(attrs))
                found = self._memo.get(memo)
                if found is None:
                    inner: list[bytes] = []
                    self._stack.append({})
                    try:
                        for item in value:
                            self._add(item, attrs, inner)
                    finally:
                        deps = self._stack.pop()
                    found = self._memo[memo] = b"[" + _digest(b"\x1e".join(inner))
                    self._remember(memo, deps)
                    self._keep.append(value)
                else:
                    self._recall(memo)
                out.append(found)
            else:
                out.append(b"[")
                for item in value:
                    self._add(item, attrs, out)
                out.append(b"]")
        elif isinstance(value, str):  # str subclasses (Markup)
            out.append(b"s" + str(value).encode("utf-8", "surrogatepass"))
        elif isinstance(value, datetime):
            out.append(b"t" + value.isoformat().encode() + repr(value.tzinfo).encode())
        elif isinstance(value, date):
            out.append(b"d" + value.isoformat().encode())
        elif isinstance(value, PurePath):
            out.append(b"p" + str(value).encode("utf-8", "surrogateescape"))
        elif dataclasses.is_dataclass(value) and not isinstance(value, type):
            out.append(self._object(value, attrs))
        elif callable(value):
            # Template helpers: pure functions of the configuration and the language, both
            # in every key; `is_published` reads `now`, which every post's key includes.
            out.append(b"f")
        else:
            raise Unkeyable(type(value).__name__)

    def _object(self, value: Any, attrs: frozenset[str]) -> bytes:
        view = self._view(attrs)
        memo = (id(value), view)
        found = self._memo.get(memo)
        if found is None:
            _groups, with_posts, with_months = view
            inner = [type(value).__qualname__.encode()]
            names = [f.name for f in dataclasses.fields(value)]
            self._stack.append({})
            try:
                for name in names:
                    if (name == "posts" and not with_posts) or (
                        name == "months" and not with_months
                    ):
                        continue  # a tag's or a month's posts, when templates never read them
                    inner.append(name.encode())
                    self._add(getattr(value, name), attrs, inner)
                if with_posts and "posts" not in names:
                    posts = getattr(value, "posts", None)  # e.g. Year.posts, a property
                    if posts is not None:
                        self._add(tuple(posts), attrs, inner)
            finally:
                deps = self._stack.pop()
            found = self._memo[memo] = b"o" + _digest(b"\x1e".join(inner))
            self._remember(memo, deps)
            self._keep.append(value)
        else:
            self._recall(memo)
        return found

    def _post(self, post: Post, attrs: frozenset[str], groups: tuple | None = None) -> bytes:
        """A post as templates reading `attrs` see it (with `groups`: these fields instead).

        The file's path is left out unless templates read `source`: keys then survive a
        clone of the site in another folder (CI)."""
        view = self._view(attrs)[0]
        if groups is not None:
            view = (groups, view[1])
        memo = (id(post), view)
        found = self._memo.get(memo)
        if self._stack:
            top = self._stack[-1]
            top[id(post)] = top.get(id(post), 0) | _bits(view[0])
        if found is None:
            digests = self.groups_of(post)
            common = self._published.get(id(post))
            if common is None:
                common = self._published[id(post)] = b"\x1e".join(
                    [post.url.encode(), b"1" if self.published(post) else b"0", self.shown(post)]
                )
                self._keep.append(post)
            found = "".join([digests[g] for g in view[0]]).encode() + common
            if view[1]:
                path = source_of(post)
                found += b"\x1e" + path.encode("utf-8", "surrogateescape")
            # As a digest: a few hundred thousand of these live through the build.
            found = self._memo[memo] = b"P" + _digest(found)
        return found


def _nothing_more(post: Post) -> bytes:
    return b""


def plain_groups(post: Post) -> dict[str, str]:
    """Group digests computed from a post's own fields (posts that did not come from the cache)."""
    if post.stored is not None:
        return post.stored.groups
    try:
        return group_digests(post_fields(post))
    except TypeError:
        raise Unkeyable("post field") from None
