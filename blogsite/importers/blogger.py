"""Blogger exports: the classic "Back up content" Atom file and Google Takeout's feed.atom
(namespace http://schemas.google.com/blogger/2018), read into an Export."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from blogsite.importers.common import (
    anonymous,
    comment_body,
    http_url,
    last_segment,
    old_path,
    paragraphs,
    parse_when,
    plain_title,
)
from blogsite.importers.htmlmd import to_markdown
from blogsite.importers.model import Dropped, Export, ImportedComment, ImportedPost
from blogsite.importers.writer import safe_slug
from blogsite.importers.xmltree import Element
from blogsite.post import slugify

TAKEOUT_NS = "http://schemas.google.com/blogger/2018"
_KIND_SCHEME = "http://schemas.google.com/g/2005#kind"
_REMOVED = re.compile(r"^(this|ce) (comment|post|commentaire).{0,40}(removed|supprimé)", re.I)


@dataclass
class Entry:
    """One <entry>, whatever the format: a post, a page or a comment."""

    kind: str  # "post", "page", "comment", or another (settings, template: ignored)
    id: str
    status: str  # "live", "draft", "pending", "trash", "deleted", "spam"
    title: str = ""
    content: str = ""
    published: datetime | None = None
    updated: datetime | None = None
    labels: list[str] = field(default_factory=list)
    url: str = ""
    path: str | None = None
    summary: str = ""
    author: str = ""
    author_url: str | None = None
    post_ref: str = ""  # comments: the post's id
    parent_ref: str = ""  # comments: the comment replied to


def is_takeout(root: Element) -> bool:
    return any(v == TAKEOUT_NS for v in root.attrs.values()) or any(
        c.qname.startswith("blogger:") for e in root.findall("entry")[:5] for c in e.children
    )


def _ident(text: str) -> str:
    """The number at the end of "tag:blogger.com,1999:blog-1.post-42" (or the text)."""
    found = re.search(r"(?:post|page|comment)-(\d+)\s*$", text) or re.search(r"(\d+)\s*$", text)
    return found.group(1) if found else re.sub(r"[^A-Za-z0-9_-]", "-", text.strip())


def _link(entry: Element, rel: str) -> str:
    for link in entry.findall("link"):
        if link.attrs.get("rel") == rel and link.attrs.get("href"):
            return link.attrs["href"]
    return ""


def _author(entry: Element) -> tuple[str, str | None]:
    author = entry.find("author")
    if author is None:
        return "", None
    return author.child_text("name"), http_url(author.child_text("uri"))


def classic_entry(el: Element, zone: ZoneInfo) -> Entry:
    kind = ""
    labels = []
    for cat in el.findall("category"):
        if cat.attrs.get("scheme") == _KIND_SCHEME:
            kind = cat.attrs.get("term", "").rpartition("#")[2]
        elif cat.attrs.get("term"):
            labels.append(cat.attrs["term"])
    control = el.find("control")
    draft = control is not None and control.child_text("draft").lower() == "yes"
    removed = any(p.attrs.get("name") == "blogger.contentRemoved" and p.attrs.get("value") == "true"
                  for p in el.findall("extendedProperty"))
    content = el.child_text("content")
    if kind == "comment" and _REMOVED.match(re.sub(r"<[^>]+>", "", content).strip()):
        removed = True
    reply = el.find("in-reply-to")
    url = _link(el, "alternate")
    author, author_url = _author(el)
    return Entry(
        kind=kind, id=_ident(el.child_text("id")),
        status="deleted" if removed else "draft" if draft else "live",
        title=el.child_text("title"), content=content,
        published=parse_when(el.child_text("published"), zone),
        updated=parse_when(el.child_text("updated"), zone), labels=labels, url=url,
        path=old_path(url), summary=el.child_text("summary"), author=author, author_url=author_url,
        post_ref=_ident(reply.attrs.get("ref", "")) if reply is not None else "",
        parent_ref=_ident(_link(el, "related")) if _link(el, "related") else "",
    )


_TAKEOUT_STATUS = {"LIVE": "live", "DRAFT": "draft", "SCHEDULED": "draft", "PENDING": "pending",
                   "SOFT_TRASHED": "trash", "TRASHED": "trash", "DELETED": "deleted",
                   "SPAM": "spam", "SPAM_COMMENT": "spam"}


def takeout_entry(el: Element, zone: ZoneInfo) -> Entry:
    status = el.child_text("status").upper() or "LIVE"
    filename = el.child_text("filename")
    labels = [c.attrs["term"] for c in el.findall("category") if c.attrs.get("term")]
    author, author_url = _author(el)
    url = _link(el, "alternate")
    return Entry(
        kind=el.child_text("type").lower(), id=_ident(el.child_text("id")),
        status=_TAKEOUT_STATUS.get(status, "live" if "LIVE" in status else "trash"),
        title=el.child_text("title"), content=el.child_text("content"),
        published=parse_when(el.child_text("published") or el.child_text("created"), zone),
        updated=parse_when(el.child_text("updated"), zone), labels=labels, url=url,
        path=old_path(filename) if filename else old_path(url), summary=el.child_text("summary"),
        author=author, author_url=author_url,
        post_ref=_ident(el.child_text("parent")) if el.child_text("parent") else "",
        parent_ref=_ident(el.child_text("inReplyTo")) if el.child_text("inReplyTo") else "",
    )


def read(root: Element, zone: ZoneInfo, lang: str) -> Export:
    takeout = is_takeout(root)
    export = Export("Blogger (Google Takeout)" if takeout else "Blogger (classic backup)")
    make = takeout_entry if takeout else classic_entry
    entries = [make(el, zone) for el in root.findall("entry")]
    comments: dict[str, list[Entry]] = {}
    for entry in entries:
        if entry.kind == "comment":
            comments.setdefault(entry.post_ref, []).append(entry)
    for entry in entries:
        if entry.kind not in ("post", "page"):
            continue
        if entry.status in ("trash", "deleted", "spam"):
            export.dropped.append(Dropped(entry.kind, entry.status))
            continue
        export.posts.append(_post(entry, comments.pop(entry.id, []), export, lang))
    for orphans in comments.values():
        export.dropped.extend(Dropped("comment", "its post is not in the export") for _ in orphans)
    return export


def _post(entry: Entry, comments: list[Entry], export: Export, lang: str) -> ImportedPost:
    title = plain_title(entry.title)
    slug = safe_slug(last_segment(entry.path) if entry.path else "", "") or (
        slugify(title) if title else f"post-{entry.id}")
    if entry.kind == "page":
        slug = safe_slug(slug)
    draft = entry.status != "live"
    return ImportedPost(
        title=title, body=to_markdown(entry.content), slug=slug, date=entry.published,
        updated=entry.updated, tags=tuple(dict.fromkeys(entry.labels)),
        aliases=(entry.path,) if entry.path and not draft else (), draft=draft,
        summary=plain_title(entry.summary) or None, is_page=entry.kind == "page",
        comments=_comments(comments, entry, export, lang), untitled=not title,
        original_status=entry.status,
    )


def _comments(entries: list[Entry], post: Entry, export: Export, lang: str) -> tuple[ImportedComment, ...]:
    kept = []
    for e in entries:
        if e.status in ("deleted", "spam", "trash"):
            export.dropped.append(Dropped("comment", e.status))
        elif e.published is not None:
            kept.append(e)
    ids = {e.id for e in kept}
    where = post.path or post.id
    return tuple(
        ImportedComment(
            id=e.id, author=e.author or anonymous(lang), date=e.published,  # type: ignore[arg-type]  # kept: dated
            body=comment_body(paragraphs(e.content), export, where), source="blogger",
            author_url=e.author_url,
            parent=e.parent_ref if e.parent_ref in ids and e.parent_ref != e.id else None,
            url=http_url(e.url), approved=e.status == "live",
            own=bool(e.author_url) and e.author_url == post.author_url,
        )
        for e in sorted(kept, key=lambda c: (c.published, c.id))
    )
