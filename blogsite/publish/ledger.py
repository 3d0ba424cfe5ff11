"""The syndication record: which post was announced where, kept in `syndication.toml`.

The file lives at the site's root and is meant to be committed with the posts, so that a publish
from CI or from another machine knows what was already sent. It is plain TOML a human can read
and, in a pinch, edit:

    [[post]]
    url = "/2024/05/hello/"
    source = "posts/hello.md"
    title = "Hello"

    [post.x]
    state = "sent"
    remote_id = "1790000000000000000"
    remote_url = "https://x.com/example/status/1790000000000000000"
    at = 2024-05-03T10:00:05Z
    attempts = 1
    text = "Hello\n\nhttps://blog.example.org/2024/05/hello/"

Besides the state, each network table keeps the exact `text` sent (a retry resends exactly
that, so that the network recognises it), the `key` of the attempts where the network has one
(Mastodon's Idempotency-Key, Bluesky's record key), `attempts`, and `reason` for anything not
sent.

States per network:
- ``sending``: the intent was recorded and the request may have left; the outcome is unknown
  (the process died, or the answer was lost). The next run looks for the post on the network
  before sending again.
- ``sent``: done, with the remote id and URL.
- ``skipped``: deliberately never announced (e.g. already old when first seen); `--post` forces.
- ``pending``: not sent yet for a temporary reason (not live yet, rate limited); retried next run.
  ``uncertain = true`` means an earlier attempt may have reached the network.
- ``failed``: the network refused (bad credentials, text refused); retried next run.

A draft or scheduled post that a run saw is on record with `unpublished = true` and no network;
the first run that sees it public sets `public_since`, from which `window_days` counts: a post
going public for the first time is news however old its date.

A post keeps its identity across edits of its title, body and date: an entry matches a post by
its current URL, by its source file, or by a URL the post lists in `aliases`.
"""

from __future__ import annotations

import bisect
import contextlib
import os
import re
import tomllib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from blogsite.errors import BlogsiteError, Problem, display_path
from blogsite.publish.networks import LABELS as NETWORK_LABELS

LEDGER_FILE = "syndication.toml"
FORMAT_VERSION = 1
STATES = ("sending", "sent", "skipped", "pending", "failed")

HEADER = """\
# blogsite syndication record: where each post was announced by `blogsite publish`.
# Commit this file with your posts so that every machine (and CI) knows what was already sent.
# States: sent, skipped (never announced, use --post to force), pending/failed (retried on the
# next publish), sending (outcome unknown: the next publish checks the network before resending).
"""


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def normalize_path(url: str) -> str:
    """Site paths compare equal with or without the trailing slash of a directory URL."""
    url = url.strip()
    if url.endswith("/index.html"):
        url = url[: -len("index.html")]
    last = url.rsplit("/", 1)[-1]
    if url and not url.endswith("/") and "." not in last:
        url += "/"
    return url


@dataclass
class Delivery:
    """The state of one post on one network."""

    state: str
    reason: str = ""
    remote_id: str = ""
    remote_url: str = ""
    at: datetime | None = None
    attempts: int = 0
    uncertain: bool = False
    text: str = ""  # what was (or is being) sent: a retry resends exactly this
    key: str = ""  # idempotency key / record key of the attempts: a retry reuses it


@dataclass
class Entry:
    """One post as the record knows it."""

    url: str
    source: str = ""
    title: str = ""
    date: datetime | None = None
    first_seen: datetime | None = None
    previous_urls: list[str] = field(default_factory=list)
    networks: dict[str, Delivery] = field(default_factory=dict)
    line: int | None = None  # where it was read, for messages
    # A run saw the post as a draft or scheduled: when it goes public, it is news however old
    # its date. `public_since` is when a run then first saw it public.
    unpublished: bool = False
    public_since: datetime | None = None

    @property
    def known_urls(self) -> set[str]:
        return {normalize_path(u) for u in [self.url, *self.previous_urls] if u}


_NOT_FILED: tuple[frozenset[str], str] = (frozenset(), "")


def _unfile(index: dict[str, list[int]], key: str, position: int) -> None:
    positions = index[key]
    positions.remove(position)
    if not positions:
        del index[key]



class Ledger:
    """The whole record. Reading never needs the lock; writing is done by `publish` under it.

    Lookups go through an index of the entries by URL (current, previous) and by source file,
    because publish and every build look up each post of the blog: a scan per post would be
    quadratic on a large blog whose posts were all announced. The index is kept in step by the
    methods that change an entry's identity (`entry_for`, `refresh`); change `url`,
    `previous_urls` or `source` only through them.
    """

    def __init__(self, root: Path, entries: list[Entry] | None = None) -> None:
        self.root = Path(root)
        self.entries = entries or []

    @property
    def entries(self) -> list[Entry]:
        return self._entries

    @entries.setter
    def entries(self, entries: list[Entry]) -> None:
        self._entries = entries
        self._reindex()

    @property
    def path(self) -> Path:
        return self.root / LEDGER_FILE

    # -- the index ------------------------------------------------------------------------
    # Each key maps to the positions of its entries in ascending order, so that the first
    # entry in file order wins, as it would in a scan, even in a hand-edited file where two
    # entries share a URL.

    def _reindex(self) -> None:
        self._by_url: dict[str, list[int]] = {}
        self._by_source: dict[str, list[int]] = {}
        # What each position is filed under now, so that a change can be unfiled exactly.
        self._filed: list[tuple[frozenset[str], str]] = []
        for position, entry in enumerate(self._entries):
            self._filed.append(_NOT_FILED)
            self._file(position, entry)

    def _file(self, position: int, entry: Entry) -> None:
        """File the entry at `position` under its current URLs and source, and no others."""
        old_urls, old_source = self._filed[position]
        urls = frozenset(entry.known_urls)
        for url in old_urls - urls:
            _unfile(self._by_url, url, position)
        for url in urls - old_urls:
            bisect.insort(self._by_url.setdefault(url, []), position)
        if entry.source != old_source:
            if old_source:
                _unfile(self._by_source, old_source, position)
            if entry.source:
                bisect.insort(self._by_source.setdefault(entry.source, []), position)
        self._filed[position] = (urls, entry.source)

    def _position(self, post: Any) -> int | None:
        # Entries appended to or removed from the list directly (not through this class) would
        # leave the index behind: a length check is cheap insurance.
        if len(self._filed) != len(self._entries):
            self._reindex()
        found = self._by_url.get(normalize_path(post.url))
        if found:
            return found[0]
        # Title and date edits change the URL (slug from title, permalink from date) but not
        # the file the post lives in.
        if self._by_source:
            found = self._by_source.get(self._source_key(post))
            if found:
                return found[0]
        aliases = {normalize_path(a) for a in post.aliases}
        hits = [self._by_url[a][0] for a in aliases if a in self._by_url]
        return min(hits) if hits else None

    # -- identity -------------------------------------------------------------------------

    def _source_key(self, post: Any) -> str:
        source = Path(post.source)
        try:
            return source.resolve().relative_to(self.root.resolve()).as_posix()
        except (ValueError, OSError):
            return source.as_posix()

    def find(self, post: Any) -> Entry | None:
        """The entry for `post`, surviving edits of title/body/date and aliased URL changes:
        the first entry holding its URL, else its source file, else one of its aliases."""
        position = self._position(post)
        return None if position is None else self._entries[position]

    def entry_for(self, post: Any, now: datetime | None = None) -> Entry:
        """Find or create the entry for `post`, bringing its identity fields up to date."""
        position = self._position(post)
        if position is None:
            self._entries.append(Entry(url=post.url, first_seen=now or _now()))
            self._filed.append(_NOT_FILED)
            position = len(self._entries) - 1
        self._update(position, post)
        return self._entries[position]

    def refresh(self, post: Any) -> bool:
        """Follow an edited post (new title, date, URL, file): True if its entry changed.

        Keeping the current URL and file on record is what lets the post be recognised after
        a later move, through the alias of the URL it has now.
        """
        position = self._position(post)
        if position is None:
            return False
        entry = self._entries[position]
        before = (entry.url, list(entry.previous_urls), entry.source, entry.title, entry.date)
        self._update(position, post)
        return before != (entry.url, entry.previous_urls, entry.source, entry.title, entry.date)

    def _update(self, position: int, post: Any) -> None:
        entry = self._entries[position]
        if normalize_path(entry.url) != normalize_path(post.url):
            if entry.url and entry.url not in entry.previous_urls:
                entry.previous_urls.append(entry.url)
            entry.url = post.url
        entry.source = self._source_key(post)
        entry.title = post.title
        entry.date = post.date.astimezone(UTC).replace(microsecond=0) if post.date else None
        self._file(position, entry)

    # -- first time public -------------------------------------------------------------------

    def note_unpublished(self, post: Any, now: datetime) -> bool:
        """Remember that a run saw `post` as a draft or scheduled post: True if that is news
        to the record. A post the record already knew as public keeps its history."""
        entry = self.find(post)
        if entry is not None and (entry.unpublished or entry.networks or entry.public_since):
            return False
        entry = self.entry_for(post, now)
        entry.unpublished = True
        return True

    def note_public(self, post: Any, now: datetime) -> bool:
        """`post` is public now: if the record knew it unpublished, it went public now."""
        entry = self.find(post)
        if entry is None or not entry.unpublished:
            return False
        entry.unpublished = False
        entry.public_since = now.astimezone(UTC).replace(microsecond=0)
        return True

    def news_since(self, post: Any, now: datetime) -> datetime | None:
        """When `post` became news: when it went public if a run saw it unpublished before
        (now, if that run is this one), else its date."""
        entry = self.find(post)
        if entry is not None and entry.public_since is not None:
            return entry.public_since
        if entry is not None and entry.unpublished:
            return now
        return post.date

    def delivery(self, post: Any, network: str) -> Delivery | None:
        entry = self.find(post)
        return entry.networks.get(network) if entry else None

    def links_for(self, post: Any) -> list[tuple[str, str]]:
        """(label, remote_url) for each network the post was sent to, in the registry's order
        (X, Mastodon, Bluesky): what post pages show as "Also on"."""
        entry = self.find(post)
        if entry is None:
            return []
        links = []
        for name, label in NETWORK_LABELS.items():
            d = entry.networks.get(name)
            if d is not None and d.state == "sent" and d.remote_url:
                links.append((label, d.remote_url))
        return links

    # -- writing --------------------------------------------------------------------------

    def record(self, entry: Entry, network: str, state: str, **fields: Any) -> Delivery:
        """Set the state of `entry` on `network` and write the file at once."""
        if state not in STATES:
            raise ValueError(f"unknown state {state!r}")
        previous = entry.networks.get(network)
        delivery = Delivery(
            state=state,
            reason=fields.get("reason", ""),
            remote_id=fields.get("remote_id", ""),
            remote_url=fields.get("remote_url", ""),
            at=_now(),
            attempts=fields.get("attempts", previous.attempts if previous else 0),
            # Once an attempt might have reached the network, stay careful until it is sent.
            uncertain=state != "sent"
            and bool(fields.get("uncertain", previous.uncertain if previous else False)),
            text=fields.get("text", previous.text if previous else ""),
            key=fields.get("key", previous.key if previous else ""),
        )
        entry.networks[network] = delivery
        self.save()
        return delivery

    def dumps(self) -> str:
        out = [HEADER, f"version = {FORMAT_VERSION}\n"]
        for entry in self.entries:
            out.append("\n[[post]]\n")
            out += _lines(("url", entry.url), ("source", entry.source), ("title", entry.title),
                          ("date", entry.date), ("first_seen", entry.first_seen),
                          ("previous_urls", entry.previous_urls),
                          ("unpublished", entry.unpublished),
                          ("public_since", entry.public_since))
            # Known networks first, in display order, so diffs stay stable.
            names = [n for n in NETWORK_LABELS if n in entry.networks]
            names += sorted(n for n in entry.networks if n not in NETWORK_LABELS)
            for name in names:
                d = entry.networks[name]
                out.append(f"\n[post.{_toml_key(name)}]\n")
                out += _lines(("state", d.state), ("reason", d.reason),
                              ("remote_id", d.remote_id), ("remote_url", d.remote_url),
                              ("at", d.at), ("attempts", d.attempts),
                              ("uncertain", d.uncertain), ("key", d.key), ("text", d.text))
        return "".join(out)

    def save(self) -> None:
        """Write atomically: a crash leaves either the old or the new file, never half of one."""
        atomic_write(self.path, self.dumps())


def atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    data = text.encode("utf-8")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    # The rename itself must survive a power cut too.
    with contextlib.suppress(OSError):
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


# -- TOML output (tomllib only reads) --------------------------------------------------------

_ESCAPES = {
    '"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"
}


def _lines(*pairs: tuple[str, str | int | bool | datetime | list[str] | None]) -> list[str]:
    """`key = value` lines, leaving out empty values (and `url`, which is never empty)."""
    return [f"{key} = {_toml_value(value)}\n" for key, value in pairs if value]


def _toml_value(value: str | int | bool | datetime | list[str]) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, datetime):
        return _toml_time(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_str(v) for v in value) + "]"
    return _toml_str(value)


def _toml_str(value: str) -> str:
    out = []
    for ch in value:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _toml_key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else _toml_str(key)


def _toml_time(value: datetime) -> str:
    value = value.astimezone(UTC).replace(microsecond=0)
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


# -- reading ---------------------------------------------------------------------------------


def load_ledger(root: Path | str) -> Ledger:
    """Read the record at the site's root. A missing file is an empty record; a damaged one
    raises BlogsiteError naming the file and the line."""
    root = Path(root)
    path = root / LEDGER_FILE
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return Ledger(root)
    except OSError as exc:
        raise BlogsiteError(
            Problem(display_path(path), f"cannot read the syndication record: {exc.strerror}")
        ) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise _corrupt(path, f"not valid UTF-8 (byte {exc.start})", line) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        msg = str(exc)
        m = re.search(r"\(at line (\d+), column (\d+)\)", msg)
        message = re.sub(r" [(]at line.*[)]", "", msg)
        raise _corrupt(path, f"invalid TOML: {message}", int(m.group(1)) if m else None) from None
    return Ledger(root, _entries(path, text, data))


def _corrupt(path: Path, message: str, line: int | None) -> BlogsiteError:
    return BlogsiteError(
        Problem(
            display_path(path),
            f"the syndication record is damaged: {message}",
            "fix it by hand (it is plain TOML) or restore it from git: "
            f"`git checkout -- {LEDGER_FILE}`; deleting it would re-announce recent posts",
            line,
        )
    )


def _post_lines(text: str) -> list[int]:
    return [n for n, raw in enumerate(text.splitlines(), 1) if raw.strip().startswith("[[post]]")]


def _entries(path: Path, text: str, data: dict[str, Any]) -> list[Entry]:
    version = data.get("version", FORMAT_VERSION)
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise _corrupt(
            path, f"format version {version!r} is newer than this blogsite understands", None
        )
    posts = data.get("post", [])
    if not isinstance(posts, list):
        raise _corrupt(path, "`post` must be an array of tables ([[post]])", None)
    lines = _post_lines(text)
    entries = []
    for index, item in enumerate(posts):
        line = lines[index] if index < len(lines) else None
        entries.append(_entry(path, item, line))
    return entries


def _entry(path: Path, item: Any, line: int | None) -> Entry:
    def need(cond: bool, message: str) -> None:
        if not cond:
            raise _corrupt(path, message, line)

    need(isinstance(item, dict), "each [[post]] must be a table")
    url = item.get("url")
    need(
        isinstance(url, str) and url.startswith("/"),
        'each [[post]] needs a url like "/2024/05/slug/"',
    )
    previous = item.get("previous_urls", [])
    need(
        isinstance(previous, list) and all(isinstance(u, str) for u in previous),
        "previous_urls must be a list of site paths",
    )
    for key in ("source", "title"):
        need(isinstance(item.get(key, ""), str), f"{key} must be text")
    for key in ("date", "first_seen", "public_since"):
        need(item.get(key) is None or isinstance(item[key], datetime), f"{key} must be a date")
    need(isinstance(item.get("unpublished", False), bool), "unpublished must be true or false")
    networks = {
        name: _delivery(path, f"[post.{name}] of {url}", value, line)
        for name, value in item.items() if isinstance(value, dict)
    }
    return Entry(
        url=url,
        source=item.get("source", ""),
        title=item.get("title", ""),
        date=item.get("date"),
        first_seen=item.get("first_seen"),
        previous_urls=list(previous),
        networks=networks,
        line=line,
        unpublished=item.get("unpublished", False),
        public_since=item.get("public_since"),
    )


def _delivery(path: Path, where: str, value: dict[str, Any], line: int | None) -> Delivery:
    def need(cond: bool, message: str) -> None:
        if not cond:
            raise _corrupt(path, f"{where}: {message}", line)

    state = value.get("state")
    need(state in STATES, f"state must be one of {', '.join(STATES)}, not {state!r}")
    for key in ("reason", "remote_id", "remote_url", "text", "key"):
        need(isinstance(value.get(key, ""), str), f"{key} must be text")
    attempts = value.get("attempts", 0)
    need(isinstance(attempts, int) and not isinstance(attempts, bool),
         "attempts must be a whole number")
    uncertain = value.get("uncertain", False)
    need(isinstance(uncertain, bool), "uncertain must be true or false")
    at = value.get("at")
    need(at is None or isinstance(at, datetime), "at must be a date")
    return Delivery(
        state=str(state),
        reason=value.get("reason", ""),
        remote_id=value.get("remote_id", ""),
        remote_url=value.get("remote_url", ""),
        at=at,
        attempts=attempts,
        uncertain=uncertain,
        text=value.get("text", ""),
        key=value.get("key", ""),
    )
