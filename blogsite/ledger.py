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

A post keeps its identity across edits of its title, body and date: an entry matches a post by
its current URL, by its source file, or by a URL the post lists in `aliases`.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import socket
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from blogsite.errors import BlogsiteError, Problem, display_path

LEDGER_FILE = "syndication.toml"
LOCK_FILE = ".syndication.lock"
FORMAT_VERSION = 1
# Order matters: links are shown in this order on post pages.
NETWORK_LABELS = {"x": "X", "mastodon": "Mastodon", "bluesky": "Bluesky"}
STATES = ("sending", "sent", "skipped", "pending", "failed")
# A publish normally takes seconds; a lock this old belongs to a hung or vanished process
# (possibly on another machine sharing the folder, where its pid means nothing to us).
STALE_LOCK_SECONDS = 3600

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

    @property
    def is_done(self) -> bool:
        return self.state in ("sent", "skipped")


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

    @property
    def known_urls(self) -> set[str]:
        return {normalize_path(u) for u in [self.url, *self.previous_urls] if u}


class Ledger:
    """The whole record. Reading never needs the lock; writing is done by `publish` under it."""

    def __init__(self, root: Path, entries: list[Entry] | None = None) -> None:
        self.root = Path(root)
        self.entries: list[Entry] = entries or []

    @property
    def path(self) -> Path:
        return self.root / LEDGER_FILE

    # -- identity -------------------------------------------------------------------------

    def _source_key(self, post: Any) -> str:
        source = Path(post.source)
        try:
            return source.resolve().relative_to(self.root.resolve()).as_posix()
        except (ValueError, OSError):
            return source.as_posix()

    def find(self, post: Any) -> Entry | None:
        """The entry for `post`, surviving edits of title/body/date and aliased URL changes."""
        url = normalize_path(post.url)
        for entry in self.entries:
            if url in entry.known_urls:
                return entry
        # Title and date edits change the URL (slug from title, permalink from date) but not
        # the file the post lives in.
        source = self._source_key(post)
        for entry in self.entries:
            if entry.source and entry.source == source:
                return entry
        aliases = {normalize_path(a) for a in post.aliases}
        for entry in self.entries:
            if aliases & entry.known_urls:
                return entry
        return None

    def entry_for(self, post: Any, now: datetime | None = None) -> Entry:
        """Find or create the entry for `post`, bringing its identity fields up to date."""
        entry = self.find(post)
        if entry is None:
            entry = Entry(url=post.url, first_seen=now or _now())
            self.entries.append(entry)
        self._update(entry, post)
        return entry

    def refresh(self, post: Any) -> bool:
        """Follow an edited post (new title, date, URL, file): True if its entry changed.

        Keeping the current URL and file on record is what lets the post be recognised after
        a later move, through the alias of the URL it has now.
        """
        entry = self.find(post)
        if entry is None:
            return False
        before = (entry.url, list(entry.previous_urls), entry.source, entry.title, entry.date)
        self._update(entry, post)
        return before != (entry.url, entry.previous_urls, entry.source, entry.title, entry.date)

    def _update(self, entry: Entry, post: Any) -> None:
        if normalize_path(entry.url) != normalize_path(post.url):
            if entry.url and entry.url not in entry.previous_urls:
                entry.previous_urls.append(entry.url)
            entry.url = post.url
        entry.source = self._source_key(post)
        entry.title = post.title
        entry.date = post.date.astimezone(UTC).replace(microsecond=0) if post.date else None

    def delivery(self, post: Any, network: str) -> Delivery | None:
        entry = self.find(post)
        return entry.networks.get(network) if entry else None

    def links_for(self, post: Any) -> list[tuple[str, str]]:
        """(label, remote_url) for each network the post was sent to, in the order X, Mastodon,
        Bluesky: what post pages show as "Also on"."""
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
            out.append(f"url = {_toml_str(entry.url)}\n")
            if entry.source:
                out.append(f"source = {_toml_str(entry.source)}\n")
            if entry.title:
                out.append(f"title = {_toml_str(entry.title)}\n")
            if entry.date:
                out.append(f"date = {_toml_time(entry.date)}\n")
            if entry.first_seen:
                out.append(f"first_seen = {_toml_time(entry.first_seen)}\n")
            if entry.previous_urls:
                urls = ", ".join(_toml_str(u) for u in entry.previous_urls)
                out.append(f"previous_urls = [{urls}]\n")
            # Known networks first, in display order, so diffs stay stable.
            names = [n for n in NETWORK_LABELS if n in entry.networks]
            names += sorted(n for n in entry.networks if n not in NETWORK_LABELS)
            for name in names:
                d = entry.networks[name]
                out.append(f"\n[post.{_toml_key(name)}]\n")
                out.append(f"state = {_toml_str(d.state)}\n")
                if d.reason:
                    out.append(f"reason = {_toml_str(d.reason)}\n")
                if d.remote_id:
                    out.append(f"remote_id = {_toml_str(d.remote_id)}\n")
                if d.remote_url:
                    out.append(f"remote_url = {_toml_str(d.remote_url)}\n")
                if d.at:
                    out.append(f"at = {_toml_time(d.at)}\n")
                if d.attempts:
                    out.append(f"attempts = {d.attempts}\n")
                if d.uncertain:
                    out.append("uncertain = true\n")
                if d.key:
                    out.append(f"key = {_toml_str(d.key)}\n")
                if d.text:
                    out.append(f"text = {_toml_str(d.text)}\n")
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
        line = int(m.group(1)) if m else None
        message = re.sub(r" [(]at line.*[)]", "", msg)
        raise _corrupt(path, f"invalid TOML: {message}", line) from None
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
    for key in ("date", "first_seen"):
        need(item.get(key) is None or isinstance(item[key], datetime), f"{key} must be a date")
    networks: dict[str, Delivery] = {}
    for name, value in item.items():
        if not isinstance(value, dict):
            continue
        state = value.get("state")
        need(
            state in STATES,
            f"[post.{name}] of {url}: state must be one of {', '.join(STATES)}, not {state!r}",
        )
        for key in ("reason", "remote_id", "remote_url", "text", "key"):
            need(isinstance(value.get(key, ""), str), f"[post.{name}] of {url}: {key} must be text")
        attempts = value.get("attempts", 0)
        need(
            isinstance(attempts, int) and not isinstance(attempts, bool),
            f"[post.{name}] of {url}: attempts must be a whole number",
        )
        uncertain = value.get("uncertain", False)
        need(
            isinstance(uncertain, bool),
            f"[post.{name}] of {url}: uncertain must be true or false",
        )
        at = value.get("at")
        need(at is None or isinstance(at, datetime), f"[post.{name}] of {url}: at must be a date")
        networks[name] = Delivery(
            state=state,
            reason=value.get("reason", ""),
            remote_id=value.get("remote_id", ""),
            remote_url=value.get("remote_url", ""),
            at=at,
            attempts=attempts,
            uncertain=uncertain,
            text=value.get("text", ""),
            key=value.get("key", ""),
        )
    return Entry(
        url=url,
        source=item.get("source", ""),
        title=item.get("title", ""),
        date=item.get("date"),
        first_seen=item.get("first_seen"),
        previous_urls=list(previous),
        networks=networks,
        line=line,
    )


# -- the lock --------------------------------------------------------------------------------


def _pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    except OSError:
        return False
    # A zombie (killed, not yet reaped by its parent) no longer runs anything.
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        if stat.rsplit(")", 1)[-1].split()[0] == "Z":
            return False
    except (OSError, IndexError):
        pass
    return True


def _process_start(pid: int) -> str:
    """Kernel start time of `pid` (Linux), so a recycled pid is not mistaken for the owner."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(")", 1)[-1].split()[19]
    except (OSError, IndexError):
        return ""


@contextlib.contextmanager
def publish_lock(root: Path | str) -> Iterator[Path]:
    """Hold the site's publish lock, or raise BlogsiteError naming who holds it.

    A lock whose process is gone (killed, crashed) or which is older than an hour is taken over.
    """
    path = Path(root) / LOCK_FILE
    info = {
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "started": _toml_time(_now()),
        "proc_start": _process_start(os.getpid()),
    }
    for _ in range(3):
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            holder = _read_lock(path)
            if _lock_is_stale(path, holder):
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()
                continue
            who = f"pid {holder.get('pid', '?')}"
            if holder.get("host"):
                who += f" on {holder['host']}"
            if holder.get("started"):
                who += f", started {holder['started']}"
            raise BlogsiteError(
                Problem(
                    display_path(path),
                    f"another `blogsite publish` is running ({who})",
                    "wait for it to finish; if no publish is running, delete this lock file",
                )
            ) from None
        with os.fdopen(fd, "w") as fh:
            json.dump(info, fh)
            fh.write("\n")
        break
    else:
        raise BlogsiteError(
            Problem(display_path(path), "could not take the publish lock", "delete the lock file")
        )
    try:
        yield path
    finally:
        # Only remove our own lock: a stale-lock takeover by another process must not be undone.
        if _read_lock(path).get("pid") == info["pid"]:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()


def _read_lock(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def _lock_is_stale(path: Path, holder: dict[str, Any]) -> bool:
    try:
        age = _now().timestamp() - path.stat().st_mtime
    except FileNotFoundError:
        return True
    if age > STALE_LOCK_SECONDS:
        return True
    pid = holder.get("pid")
    if not isinstance(pid, int):
        # Unreadable: perhaps being written right now. Give it a few seconds before taking over.
        return age > 10
    if holder.get("host") and holder["host"] != socket.gethostname():
        return False  # cannot check a process on another machine; the age rule still applies
    if not _pid_alive(pid):
        return True
    started = holder.get("proc_start")
    return bool(started) and started != _process_start(pid)


def touch_lock(root: Path | str) -> None:
    """Refresh the lock's age during a long publish (e.g. while waiting out a rate limit)."""
    with contextlib.suppress(OSError):
        os.utime(Path(root) / LOCK_FILE)
