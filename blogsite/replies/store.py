"""The comment files of the replies: written only when their content changes, removed when the
reply is gone upstream, each write atomic (temporary file, then rename), so a run killed at any
moment leaves every file whole and a rerun finishes the job.

A file made from a network is recognised by its id (`mastodon-…`, `bluesky-…`, `x-…`) and its
`source`; imported and hand-written comments are never touched. The only field kept from an
existing file is `approved`: the blogger's decision outlives upstream edits.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

from blogsite.publish.ledger import atomic_write
from blogsite.replies.model import PREFIXES, Person, Reactions, Reply
from blogsite.replies.moderation import Trusted, author_key

COMMENTS_DIR = "comments"
REACTIONS_FILE = "reactions.yaml"


@dataclass
class Changes:
    added: list[tuple[Reply, bool, Path]] = field(default_factory=list)  # (reply, held, file)
    updated: list[Path] = field(default_factory=list)
    removed: list[Path] = field(default_factory=list)
    reactions: bool = False

    @property
    def any(self) -> bool:
        return bool(self.added or self.updated or self.removed or self.reactions)


def front_matter(path: Path) -> dict[str, Any] | None:
    """The YAML front matter of a comment file, or None if it has none or cannot be read."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    if not text.startswith("---"):
        return None
    head, sep, _ = text[3:].partition("\n---")
    if not sep:
        return None
    try:
        data = yaml.safe_load(head)
    except yaml.YAMLError:
        return None
    return data if isinstance(data, dict) else None


def trusted_authors(root: Path) -> Trusted:
    """Every (network, handle) with an approved reply anywhere in comments/."""
    found: set[tuple[str, str]] = set()
    for path in (root / COMMENTS_DIR).rglob("*.md"):
        data = front_matter(path)
        if data and data.get("approved") is True and data.get("handle") and data.get("source"):
            found.add(author_key(str(data["source"]), str(data["handle"])))
    return Trusted(frozenset(found))


def _quote(value: str) -> str:
    # A JSON string is a valid YAML double-quoted scalar, whatever it contains.
    return json.dumps(value, ensure_ascii=False)


def render(reply: Reply, approved: bool, zone: ZoneInfo) -> str:
    lines = ["---", f"id: {_quote(reply.comment_id)}", f"author: {_quote(reply.author.name)}"]
    lines.append(f"handle: {_quote(reply.author.handle)}")
    if reply.author.url:
        lines.append(f"author_url: {_quote(reply.author.url)}")
    lines.append(f"date: {reply.date.astimezone(zone).replace(microsecond=0).isoformat()}")
    if reply.parent:
        lines.append(f"parent: {_quote(reply.parent)}")
    lines += [f"source: {reply.network}", f"url: {_quote(reply.url)}"]
    lines.append(f"approved: {'true' if approved else 'false'}")
    if reply.own:
        lines.append("own: true")
    if reply.kind:
        lines.append(f"kind: {reply.kind}")
    return "\n".join(lines) + "\n---\n" + reply.body + "\n"


def rehang(replies: list[Reply], every_parent: dict[str, str | None]) -> list[Reply]:
    """Replies whose parent is not kept (blocked, deleted) hang on the nearest kept ancestor,
    or on the post: a thread never points at a comment that is not there."""
    kept = {r.comment_id for r in replies}
    out = []
    for reply in replies:
        parent, seen = reply.parent, set()
        while parent is not None and parent not in kept and parent not in seen:
            seen.add(parent)
            parent = every_parent.get(parent)
        if parent != reply.parent:
            reply = Reply(**{**reply.__dict__, "parent": parent if parent in kept else None})
        out.append(reply)
    return out


@dataclass(frozen=True)
class Merge:
    """How to merge one network's replies into one post's folder."""

    folder: Path
    network: str
    zone: ZoneInfo
    moderation: str
    trusted: Trusted
    keep_before: datetime | None = None  # files dated before this stay even if not fetched
    dry_run: bool = False


def merge_replies(merge: Merge, replies: list[Reply]) -> Changes:
    changes = Changes()
    existing = _existing(merge.folder, merge.network)
    for reply in replies:
        path = merge.folder / f"{reply.comment_id}.md"
        old = existing.pop(reply.comment_id, None)
        if old is None:
            approved = merge.trusted.approves(reply, merge.moderation)
            _write(merge, path, render(reply, approved, merge.zone))
            changes.added.append((reply, not approved, path))
            continue
        approved = (front_matter(path) or {}).get("approved") is not False
        text = render(reply, approved, merge.zone)
        if old != text:
            _write(merge, path, text)
            changes.updated.append(path)
    for comment_id in existing:
        path = merge.folder / f"{comment_id}.md"
        if merge.keep_before is not None and _dated_before(path, merge.keep_before):
            continue
        if not merge.dry_run:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
        changes.removed.append(path)
    return changes


def _existing(folder: Path, network: str) -> dict[str, str]:
    """comment id -> text, of the files this network's replies made in `folder`."""
    found: dict[str, str] = {}
    for path in sorted(folder.glob(f"{PREFIXES[network]}*.md")):
        data = front_matter(path)
        if data is not None and data.get("source") == network:
            found[path.stem] = path.read_text(encoding="utf-8")
    return found


def _dated_before(path: Path, moment: datetime) -> bool:
    date = (front_matter(path) or {}).get("date")
    return isinstance(date, datetime) and date.tzinfo is not None and date < moment


def _write(merge: Merge, path: Path, text: str) -> None:
    if merge.dry_run:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, text)


def _people(people: tuple[Person, ...]) -> list[dict[str, str]]:
    return [{"name": p.name or p.handle, "url": p.url, "id": p.id} for p in people]


def merge_reactions(folder: Path, network: str, reactions: Reactions, dry_run: bool) -> bool:
    """Replace `network`'s likes and reposts in reactions.yaml; True if the file changed."""
    path = folder / REACTIONS_FILE
    old_text = path.read_text(encoding="utf-8") if path.is_file() else ""
    try:
        data = yaml.safe_load(old_text) if old_text else {}
    except yaml.YAMLError:
        data = {}
    data = data if isinstance(data, dict) else {}
    section = {"likes": _people(reactions.likes), "reposts": _people(reactions.reposts)}
    if section["likes"] or section["reposts"]:
        data[network] = section
    else:
        data.pop(network, None)
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1000) if data else ""
    if text == old_text:
        return False
    if not dry_run:
        if text:
            folder.mkdir(parents=True, exist_ok=True)
            atomic_write(path, text)
        else:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
    return True
