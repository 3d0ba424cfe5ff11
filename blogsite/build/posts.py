"""Posts as the build cache stores them: the records of their small fields, checked before
use, and the bodies (html, toc, summaries) read only when a page shows them."""

from __future__ import annotations

import dataclasses
import json
import marshal
from collections import OrderedDict
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from blogsite.build.keys import GROUPS
from blogsite.build.store import Store, digest, loads_value
from blogsite.config import Config
from blogsite.errors import BlogsiteError, Problem, display_path
from blogsite.post import LAZY_FIELDS, Post

# The fields a stored record must hold (the others are read when pages need them).
EAGER_FIELDS = {
    f.name for f in dataclasses.fields(Post)
    if f.name not in (*LAZY_FIELDS, "source", "url")
}


class Contents:
    """Loads a cached post's html, toc and body when a page needs them.

    The last few hundred are kept: the newest posts are in every feed (the site's and
    their tags'), so their bodies are read many times in a row."""

    RECENT = 256

    def __init__(self, config: Config, store: Store | None, memory: dict | None) -> None:
        self.config = config
        self.store = store
        self.memory = memory
        self.recent: OrderedDict[tuple[str, bool], dict] = OrderedDict()
        self.summaries: dict[str, Any] | None = None  # posts whose summaries to write (prefetch)
        self.prefetched: dict[str, tuple[bytes, bytes]] = {}

    def __call__(self, post: Any, name: str) -> str:
        if name == "body":
            return self._reparse(post).body
        extra = name not in ("html", "toc")
        key = post._key
        if extra:
            pair = self.prefetched.get(key)
            if pair is not None:
                try:
                    return pair[name == "teaser"].decode("utf-8", "surrogatepass")
                except UnicodeDecodeError:  # checksummed, yet not what blogsite wrote
                    del self.prefetched[key]
        found = self.recent.get((key, extra))
        if found is not None:
            self.recent.move_to_end((key, extra))
        else:
            if self.memory is not None:
                entry = self.memory.get(key)
                if entry is not None:
                    found = json.loads(entry[1][1] if extra else entry[1][0])
            if found is None and self.store is not None:
                found = self.store.content(key, extra)
            if found is not None:
                self.recent[(key, extra)] = found
                if len(self.recent) > self.RECENT:
                    self.recent.popitem(last=False)
        if found is not None and isinstance(found.get(name), str):
            return found[name]
        return getattr(self._reparse(post), name)

    def prefetch(self, posts: Any) -> None:
        """Read the summaries and teasers of these posts at once, before many listing pages
        are rendered (a thousand home pages would otherwise make ten thousand queries).

        They come from a few blobs (SUMMARIES) first: ten thousand rows scanned, checked and
        decoded from JSON take a few tenths of a second, the blob a few hundredths. Posts
        it lacks are read from their rows; when it lacks (or holds unused) more than a
        fiftieth of them, it is written again at the end of the build (`summaries`)."""
        if self.store is None:
            return
        wanted = {
            p.__dict__["_key"]: p for p in posts
            if "_key" in p.__dict__ and "_lazy_summary_html" not in p.__dict__
        }
        if not wanted:
            return
        kept = _summaries(self.store)
        # Left encoded until a page reads them: the render workers decode their own share.
        self.prefetched = kept
        missing = {key for key in wanted if key not in kept}
        for key, found in self.store.extras(missing).items():
            state = wanted[key].__dict__
            for name in ("summary_html", "teaser"):
                if isinstance(found.get(name), str):
                    state["_lazy_" + name] = found[name]
        slack = max(32, len(wanted) // 50)
        unused = len(kept) - (len(wanted) - len(missing))
        if not kept or len(missing) > slack or unused > slack:
            # Made at the end of the build, not now: the workers that render would inherit
            # a second copy of every summary (30 MB at 10,000 posts) for nothing.
            self.summaries = wanted

    def save_summaries(self) -> None:
        """Write the summaries blob again, if prefetch() found it out of date: the posts'
        summaries and teasers, as the blob held them or as read from their rows."""
        wanted, self.summaries = self.summaries, None
        if wanted is None or self.store is None:
            return
        pairs: dict[str, tuple[bytes, bytes]] = {}
        chunks = 0
        for key, post in wanted.items():
            pair = self.prefetched.get(key)
            if pair is None:
                state = post.__dict__
                summary, teaser = state.get("_lazy_summary_html"), state.get("_lazy_teaser")
                if type(summary) is not str or type(teaser) is not str:
                    continue
                pair = (
                    summary.encode("utf-8", "surrogatepass"),
                    teaser.encode("utf-8", "surrogatepass"),
                )
            pairs[key] = pair
            if len(pairs) >= SUMMARIES_CHUNK:
                self._put_summaries(chunks, pairs)
                chunks, pairs = chunks + 1, {}
        if pairs:
            self._put_summaries(chunks, pairs)
            chunks += 1
        while self.store.drop_blob(f"{SUMMARIES}:{chunks}"):  # the rest of a longer one
            chunks += 1

    def _put_summaries(self, n: int, pairs: dict[str, tuple[bytes, bytes]]) -> None:
        assert self.store is not None
        self.store.put_blob(f"{SUMMARIES}:{n}", marshal.dumps((SUMMARIES_FORMAT, pairs), 4))

    def _reparse(self, post: Any) -> Post:
        """Parse the source again: for the body (never stored), or a damaged cache entry."""
        from blogsite.post import parse_post

        path = Path(post.source)
        try:
            raw = path.read_bytes()
        except OSError:
            raw = None
        if raw is None or digest(raw) != post._digest:
            raise BlogsiteError(
                Problem(display_path(path), "the file changed during the build", "build again")
            )
        fresh = parse_post(
            path, zone=self.config.zone, default_lang=self.config.site.language,
            is_page=post.is_page, problems=[], raw=raw,
        )
        if fresh is None:
            raise BlogsiteError(
                Problem(display_path(path), "the file changed during the build", "build again")
            )
        return fresh


# The summaries are kept in blobs of this many posts ("summaries:0", "summaries:1"...): one
# blob of ten thousand would be made whole in memory (with its copy in SQLite) on writing,
# 40 MB more at the peak of a first build.
SUMMARIES = "summaries"
SUMMARIES_CHUNK = 1000
SUMMARIES_FORMAT = "blogsite-summaries-2"


def _summaries(store: Store) -> dict[str, tuple[bytes, bytes]]:
    """The blobs' {record key: (summary_html, teaser)}, both UTF-8, read up to the first
    missing or damaged one; what is not shaped so is left out (a blob of another format, or
    well checksummed nonsense, holds nothing)."""
    found: dict[str, tuple[bytes, bytes]] = {}
    n = 0
    while True:
        value = loads_value(store.blob(f"{SUMMARIES}:{n}"))
        if type(value) is not tuple or len(value) != 2 or value[0] != SUMMARIES_FORMAT:
            return found
        pairs = value[1]
        if type(pairs) is not dict:
            return found
        for key, pair in pairs.items():
            if (type(pair) is tuple and len(pair) == 2
                    and type(pair[0]) is bytes and type(pair[1]) is bytes):
                found[key] = pair
        n += 1


def parse_records(records: Mapping[str, str | bytes]) -> dict[str, dict]:
    """Parse stored records; keep those shaped as parse_source writes them."""
    if not records:
        return {}
    blobs = [b if isinstance(b, bytes) else b.encode("utf-8", "surrogatepass") for b in records.values()]
    try:
        values = json.loads(b"[" + b",".join(blobs) + b"]")
    except ValueError:  # one is not JSON: each on its own
        values = []
        for blob in blobs:
            try:
                values.append(json.loads(blob))
            except ValueError:
                values.append(None)
    good = {}
    groups = set(GROUPS)
    for key, record in zip(records, values, strict=True):
        if type(record) is not dict:
            continue
        f, g, w, p = record.get("f"), record.get("g"), record.get("w"), record.get("p")
        if (
            type(f) is dict and type(g) is dict and type(w) is int and type(p) is list
            and g.keys() == groups and all(type(v) is str for v in g.values())
            and (not p or all(type(x) is list and len(x) == 4 for x in p))
            and f.keys() == EAGER_FIELDS
        ):
            good[key] = record
    return good


def groups_of(ident: str, stored: dict[str, dict]) -> dict | None:
    if ident.startswith("u:"):
        values = ident[2:].split(",")
        return dict(zip(GROUPS, values, strict=True)) if len(values) == len(GROUPS) else None
    record = stored.get(ident)
    return record["g"] if record is not None else None
