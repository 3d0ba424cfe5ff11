"""Writing an Export into the site: posts/, pages/ and comments/ files, safely and idempotently.

Every file the import writes is remembered with the digest of what it wrote
(`.blogsite-import.json` at the site's root). Running the import again rewrites only files it
wrote and nobody edited since; a file edited by hand (or one the import did not write) is left
alone and listed, unless `force`. A second run of the same export writes nothing at all.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from blogsite.importers.model import Export, ImportedComment, ImportedPost

RECORD = ".blogsite-import.json"
UNTITLED = {"fr": "Sans titre", "de": "Ohne Titel", "es": "Sin título", "it": "Senza titolo"}


@dataclass(frozen=True)
class PlannedFile:
    rel: str  # "/"-separated, relative to the site's root
    text: str


@dataclass
class WriteResult:
    written: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # edited since imported, or not ours


def untitled(lang: str) -> str:
    return UNTITLED.get(lang.split("-")[0].lower(), "Untitled")


def safe_slug(raw: str, fallback: str = "post") -> str:
    """A slug blogsite accepts ([\\w][\\w.-]*), from whatever the old blog used: no `/`, no
    `..`, no leading dot or dash; letters of any script are kept (a %-decoded Cyrillic slug
    stays Cyrillic)."""
    text = unicodedata.normalize("NFC", raw).strip().lower()
    text = re.sub(r"[^\w.-]+", "-", text)
    text = re.sub(r"\.{2,}", ".", text)
    text = re.sub(r"-{2,}", "-", text).strip("-._")
    return text[:100].rstrip("-._") or fallback


def _q(value: str) -> str:
    # A JSON string is a valid YAML double-quoted scalar.
    return json.dumps(value, ensure_ascii=False)


def _when(value) -> str:
    return value.replace(microsecond=0).isoformat()


def post_text(post: ImportedPost, lang: str) -> str:
    lines = ["---", f"title: {_q(post.title or untitled(lang))}"]
    if post.date is not None and not post.is_page:
        lines.append(f"date: {_when(post.date)}")
    if post.updated is not None and post.updated != post.date:
        lines.append(f"updated: {_when(post.updated)}")
    if post.tags and not post.is_page:
        lines.append("tags: " + json.dumps(list(post.tags), ensure_ascii=False))
    if post.summary:
        lines.append(f"summary: {_q(post.summary)}")
    lines.append(f"slug: {_q(post.slug)}")
    if post.aliases:
        lines.append("aliases: " + json.dumps(list(post.aliases), ensure_ascii=False))
    if post.draft:
        lines.append("draft: true")
    lines.append("---")
    return "\n".join(lines) + "\n" + post.body.strip() + "\n"


def comment_text(comment: ImportedComment) -> str:
    lines = ["---", f"id: {_q(comment.id)}", f"author: {_q(comment.author)}"]
    if comment.author_url:
        lines.append(f"author_url: {_q(comment.author_url)}")
    lines.append(f"date: {_when(comment.date)}")
    if comment.parent:
        lines.append(f"parent: {_q(comment.parent)}")
    lines.append(f"source: {comment.source}")
    if comment.url:
        lines.append(f"url: {_q(comment.url)}")
    lines.append(f"approved: {'true' if comment.approved else 'false'}")
    if comment.anchors:
        lines.append("anchors: " + json.dumps(list(comment.anchors)))
    if comment.kind != "comment":
        lines.append(f"kind: {comment.kind}")
    if comment.own:
        lines.append("own: true")
    lines.append("---")
    return "\n".join(lines) + "\n" + comment.body.strip() + "\n"


def file_names(posts: list[ImportedPost]) -> list[str]:
    """posts/<slug>.md (pages/<slug>.md), made unique in a way that depends only on the
    export: a second post with the same slug gets its year and month, then a number."""
    taken: set[str] = set()
    names = []
    for post in posts:
        folder = "pages" if post.is_page else "posts"
        candidates = [post.slug]
        if post.date is not None:
            candidates.append(f"{post.slug}-{post.date:%Y-%m}")
        candidates += [f"{candidates[-1]}-{n}" for n in range(2, 1000)]
        name = next(f"{folder}/{c}.md" for c in candidates if f"{folder}/{c}.md" not in taken)
        taken.add(name)
        names.append(name)
    return names


def drop_own_addresses(export: Export, url_of: Callable[[ImportedPost], str]) -> None:
    """An old address that is the post's new one too needs no alias (and must not have one:
    its redirect page would replace the post's own page)."""
    export.posts[:] = [
        replace(p, aliases=tuple(a for a in p.aliases if a.rstrip("/") != url_of(p).rstrip("/")))
        for p in export.posts
    ]


def plan(export: Export, lang: str) -> list[PlannedFile]:
    """Every file of the export, by path."""
    files = []
    for post, rel in zip(export.posts, file_names(export.posts), strict=True):
        files.append(PlannedFile(rel, post_text(post, lang)))
        folder = "comments/" + rel.removeprefix("posts/").removesuffix(".md")
        for comment in post.comments if not post.is_page else ():
            files.append(PlannedFile(f"{folder}/{comment.id}.md", comment_text(comment)))
    return files


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _read_record(root: Path) -> dict[str, str]:
    try:
        value = json.loads((root / RECORD).read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    files = value.get("files") if isinstance(value, dict) else None
    if not isinstance(files, dict):
        return {}
    return {k: v for k, v in files.items() if isinstance(k, str) and isinstance(v, str)}


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.import-tmp")
    temporary.write_bytes(data)
    os.replace(temporary, path)


def write(root: Path, files: list[PlannedFile], force: bool = False) -> WriteResult:
    """Write the planned files; never one edited since the last import, unless `force`."""
    record = _read_record(root)
    before = dict(record)
    result = WriteResult()
    for planned in files:
        data = planned.text.encode("utf-8")
        new = _digest(data)
        path = root / planned.rel
        current = _digest(path.read_bytes()) if path.is_file() else None
        if current == new:
            result.unchanged.append(planned.rel)
            record[planned.rel] = new
            continue
        if current is not None and record.get(planned.rel) != current and not force:
            result.skipped.append(planned.rel)
            continue
        _write_atomic(path, data)
        record[planned.rel] = new
        result.written.append(planned.rel)
    if record != before:
        text = json.dumps({"files": dict(sorted(record.items()))}, ensure_ascii=False, indent=1)
        _write_atomic(root / RECORD, (text + "\n").encode("utf-8"))
    return result
