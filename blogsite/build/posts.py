"""Posts as the build cache stores them: a row per parsed file, in one codec (marshal:
quick to read, runs no code), checked before use. Its `meta` is what every build loads,
`extra` the summary and teaser (listings), `content` the html and toc (the post's page).
Values marshal cannot hold (datetimes...) are in keys.encode_value's tagged form; plain
ones and tuples of str are kept as they are (encode_value never makes a tuple)."""

from __future__ import annotations

import dataclasses
import marshal
from collections import OrderedDict
from collections.abc import Collection
from pathlib import Path
from typing import Any, NamedTuple

from blogsite.build.keys import GROUPS, decode_value
from blogsite.build.store import Store, digest, loads_value
from blogsite.config import Config
from blogsite.errors import BlogsiteError, Problem, display_path
from blogsite.post import LAZY_FIELDS, Post

# The fields a row's meta holds (the lazy ones are in its other columns).
NAMES = tuple(sorted(
    f.name for f in dataclasses.fields(Post)
    if f.name not in (*LAZY_FIELDS, "source", "url", "stored")
))
_PLAIN = (str, int, float, bool, type(None))


class Row(NamedTuple):
    """A parsed file's row, encoded."""

    meta: bytes
    extra: bytes
    content: bytes


class StoredPost(NamedTuple):
    """A row's meta, decoded and checked."""

    words: int
    groups: dict[str, str]  # GROUPS -> digest
    problems: list  # (message, hint, line, warning) found parsing it
    fields: dict[str, Any]  # NAMES -> value, fresh objects for this post alone


def encode_row(post: Post, tagged: dict[str, Any], words: int, problems: list) -> Row:
    """The row of a parsed post; `tagged`: its fields as keys.post_fields encodes them."""
    from blogsite.build.keys import group_digests

    groups = group_digests(tagged)
    values, coded = [], []
    for i, name in enumerate(NAMES):
        value = getattr(post, name)
        kind = type(value)
        if kind in _PLAIN or (kind is tuple and all(type(v) is str for v in value)):
            values.append(value)
        else:
            values.append(tagged[name])
            coded.append(i)
    meta = (words, tuple(groups[g] for g in GROUPS), problems, tuple(values), tuple(coded))
    return Row(_dumps(meta), _dumps((post.summary_html, post.teaser)), _dumps((post.html, post.toc)))


def _dumps(value: object) -> bytes:
    return marshal.dumps(value, 4)  # type: ignore[arg-type]  # marshal's kinds only, as built here


def decode_meta(data: bytes | None) -> StoredPost | None:
    """A row's meta; None for one not shaped as encode_row writes it (another layout,
    well checksummed nonsense)."""
    value = loads_value(data)
    if type(value) is not tuple or len(value) != 5:
        return None
    words, groups, problems, values, coded = value
    if not (
        type(words) is int and type(groups) is tuple and len(groups) == len(GROUPS)
        and type(problems) is list and type(values) is tuple and len(values) == len(NAMES)
        and type(coded) is tuple
    ) or (problems and not all(type(p) is tuple and len(p) == 4 for p in problems)):
        return None
    fields = dict(zip(NAMES, values, strict=True))
    try:
        "".join(groups)  # raises unless every digest is a str
        for i in coded:
            fields[NAMES[i]] = decode_value(fields[NAMES[i]])
    except (TypeError, ValueError, KeyError, IndexError, AttributeError):
        return None
    return StoredPost(words, dict(zip(GROUPS, groups, strict=True)), problems, fields)


def decode_texts(data: bytes | None) -> tuple[str, str] | None:
    """A row's extra (summary_html, teaser) or content (html, toc); None if not that."""
    value = loads_value(data)
    if type(value) is tuple and len(value) == 2 and all(type(v) is str for v in value):
        return value
    return None


def read_stored(store: Store | None, keys: Collection[str]) -> dict[str, StoredPost]:
    """The rows among `keys` whose meta is sound, read in one query."""
    found = {}
    for key, data in (store.column("meta", keys) if store is not None else {}).items():
        stored = decode_meta(data)
        if stored is not None:
            found[key] = stored
    return found


def groups_of(ident: str, stored: dict[str, StoredPost]) -> dict[str, str] | None:
    """The field-group digests of a post as the last build named it (Builder._graph)."""
    if ident.startswith("u:"):
        values = ident[2:].split(",")
        return dict(zip(GROUPS, values, strict=True)) if len(values) == len(GROUPS) else None
    found = stored.get(ident)
    return found.groups if found is not None else None


class Contents:
    """Loads a cached post's html, toc and body when a page needs them.

    The last few hundred are kept: the newest posts are in every feed (the site's and
    their tags'), so their bodies are read many times in a row."""

    RECENT = 256

    def __init__(self, config: Config, store: Store | None) -> None:
        self.config = config
        self.store = store
        self.recent: OrderedDict[tuple[str, str], tuple[str, str]] = OrderedDict()
        # Rows' extra columns read at once (prefetch), decoded when a page reads them: the
        # render workers decode their own share.
        self.prefetched: dict[str, bytes] = {}

    def __call__(self, post: Post, name: str) -> str:
        assert post.stored is not None  # a CachedPost's loader
        column = "extra" if name in ("summary_html", "teaser") else "content"
        texts = None if name == "body" else self._texts(post.stored.key, column)
        if texts is None:
            return getattr(self._reparse(post), name)
        return texts[name in ("teaser", "toc")]

    def _texts(self, key: str, column: str) -> tuple[str, str] | None:
        if column == "extra" and key in self.prefetched:
            # Decoded at each read, not kept: the summaries of 100,000 posts would double
            # what the prefetched rows hold.
            texts = decode_texts(self.prefetched[key])
            if texts is not None:
                return texts
        found = self.recent.get((key, column))
        if found is not None:
            self.recent.move_to_end((key, column))
            return found
        found = decode_texts(self.store.column(column, [key]).get(key) if self.store else None)
        if found is not None:
            self.recent[(key, column)] = found
            if len(self.recent) > self.RECENT:
                self.recent.popitem(last=False)
        return found

    def prefetch(self, posts: Collection[Post]) -> None:
        """Read the summaries and teasers of these posts in one query, before many listing
        pages are rendered (a thousand home pages would otherwise make ten thousand)."""
        keys = {p.stored.key for p in posts if p.stored is not None}
        if self.store is not None and keys:
            self.prefetched = self.store.column("extra", keys)

    def _reparse(self, post: Post) -> Post:
        """Parse the source again: for the body (never stored), or a damaged cache entry."""
        from blogsite.post import parse_post

        assert post.stored is not None
        path = Path(post.stored.path)
        try:
            raw: bytes | None = path.read_bytes()
        except OSError:
            raw = None
        fresh = None
        if raw is not None and digest(raw) == post.stored.digest:
            fresh = parse_post(
                path, zone=self.config.zone, default_lang=self.config.site.language,
                is_page=post.is_page, problems=[], raw=raw,
            )
        if fresh is None:
            raise BlogsiteError(
                Problem(display_path(path), "the file changed during the build", "build again")
            )
        return fresh
