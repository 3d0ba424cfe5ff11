"""WordPress eXtended RSS (WXR 1.0, 1.1, 1.2), read into an Export."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from urllib.parse import unquote
from zoneinfo import ZoneInfo

from blogsite.importers.common import anonymous, comment_body, http_url, old_path, parse_when, plain_title
from blogsite.importers.htmlmd import to_markdown
from blogsite.importers.model import Dropped, Export, ImportedComment, ImportedPost
from blogsite.importers.shortcodes import Shortcodes, autop, drop_gutenberg, expand
from blogsite.importers.writer import safe_slug
from blogsite.importers.xmltree import Element
from blogsite.post import slugify

# What becomes of each status: (draft?, said in the report).
STATUSES = {
    "publish": (False, ""),
    "draft": (True, "draft"),
    "pending": (True, "pending review -> draft"),
    "private": (True, "private -> draft"),
    "future": (True, "scheduled -> draft"),
}


@dataclass(frozen=True)
class Media:
    """The export's attachments: id -> URL, and each post's attached images in order."""

    by_id: dict[str, str]
    by_parent: dict[str, list[str]]


def is_wxr(root: Element) -> bool:
    channel = root.find("channel")
    return root.name == "rss" and channel is not None and (
        channel.find("wxr_version") is not None
        or any(v.startswith(("http://wordpress.org/export/", "https://wordpress.org/export/"))
               for v in root.attrs.values())
    )


def when(local: str, gmt: str, zone: ZoneInfo) -> datetime | None:
    """WordPress keeps the local time and the UTC time: their difference is the offset."""
    here = parse_when(local, zone)
    if here is None:
        return None
    try:
        naive_local = datetime.fromisoformat(local.strip())
        naive_gmt = datetime.fromisoformat(gmt.strip())
    except ValueError:
        return here
    offset = naive_local - naive_gmt
    if abs(offset) > timedelta(hours=15):
        return here
    return naive_local.replace(tzinfo=timezone(offset)).astimezone(zone)


def read(root: Element, zone: ZoneInfo, lang: str) -> Export:
    channel = root.find("channel")
    assert channel is not None
    version = channel.child_text("wxr_version") or "1.x"
    export = Export(f"WordPress (WXR {version})")
    items = channel.findall("item")
    media = _media(items)
    seen = Shortcodes()
    for item in items:
        kind = item.child_text("post_type")
        if kind not in ("post", "page"):
            continue
        status = item.child_text("status")
        if status == "trash" or status not in STATUSES:
            if status in ("trash", "auto-draft"):
                export.dropped.append(Dropped(kind, status))
            continue
        export.posts.append(_post(item, kind == "page", media, seen, zone, export, lang))
    export.shortcodes = seen.unknown
    return export


def _media(items: list[Element]) -> Media:
    by_id: dict[str, str] = {}
    by_parent: dict[str, list[str]] = {}
    for item in items:
        if item.child_text("post_type") == "attachment":
            url = item.child_text("attachment_url") or item.child_text("guid")
            if url:
                by_id[item.child_text("post_id")] = url
                by_parent.setdefault(item.child_text("post_parent"), []).append(url)
    return Media(by_id, by_parent)


def _meta(item: Element, key: str) -> list[str]:
    return [m.child_text("meta_value") for m in item.findall("postmeta") if m.child_text("meta_key") == key]


def _aliases(item: Element, draft: bool) -> tuple[str, ...]:
    path = old_path(item.child_text("link"))
    if path is None or draft:
        return ()
    found = [path]
    for old in _meta(item, "_wp_old_slug"):
        head, _, tail = path.rstrip("/").rpartition("/")
        if tail and old.strip():
            found.append(f"{head}/{unquote(old.strip())}" + ("/" if path.endswith("/") else ""))
    return tuple(dict.fromkeys(p for p in found if ".." not in p.split("/")))


def _post(item: Element, is_page: bool, media: Media, seen: Shortcodes, zone: ZoneInfo,
          export: Export, lang: str) -> ImportedPost:
    status = item.child_text("status")
    draft, reason = STATUSES[status]
    if item.child_text("post_password"):
        draft, reason = True, "password-protected -> draft"
    title = plain_title(item.child_text("title"))
    post_id = item.child_text("post_id")
    slug = safe_slug(unquote(item.child_text("post_name")), "") or (
        slugify(title) if title else f"post-{post_id}")
    body = drop_gutenberg(item.child_text("encoded"))
    body = autop(expand(body, media.by_id, media.by_parent.get(post_id, []), seen))
    tags = [c.text.strip() for c in item.findall("category")
            if c.attrs.get("domain") in ("post_tag", "category")
            and c.attrs.get("nicename") != "uncategorized"]
    date = when(item.child_text("post_date"), item.child_text("post_date_gmt"), zone)
    excerpt = _excerpt(item)
    return ImportedPost(
        title=title, body=to_markdown(body), slug=slug, date=date,
        updated=when(item.child_text("post_modified"), item.child_text("post_modified_gmt"), zone),
        tags=tuple(dict.fromkeys(t for t in tags if t)), aliases=_aliases(item, draft), draft=draft,
        summary=excerpt, is_page=is_page, comments=_comments(item, zone, export, lang),
        draft_reason=reason or None, untitled=not title, original_status=status,
    )


def _excerpt(item: Element) -> str | None:
    for child in item.findall("encoded"):
        if child.qname.startswith("excerpt:") and child.text.strip():
            return plain_title(child.text) or None
    return None


def _comments(item: Element, zone: ZoneInfo, export: Export, lang: str) -> tuple[ImportedComment, ...]:
    link = item.child_text("link")
    kept: list[tuple[Element, datetime]] = []
    for c in item.findall("comment"):
        approved = c.child_text("comment_approved")
        if approved in ("spam", "trash"):
            export.dropped.append(Dropped("comment", approved))
            continue
        date = when(c.child_text("comment_date"), c.child_text("comment_date_gmt"), zone)
        if date is not None:
            kept.append((c, date))
    ids = {c.child_text("comment_id") for c, _ in kept}
    return tuple(_comment(c, date, ids, link, export, lang) for c, date in
                 sorted(kept, key=lambda pair: (pair[1], int(pair[0].child_text("comment_id") or 0))))


def _comment(
    c: Element, date: datetime, ids: set[str], link: str, export: Export, lang: str
) -> ImportedComment:
    ident = re.sub(r"[^A-Za-z0-9_-]", "-", c.child_text("comment_id"))
    parent = c.child_text("comment_parent")
    kind = c.child_text("comment_type") or "comment"
    author_url = http_url(c.child_text("comment_author_url"))
    return ImportedComment(
        id=ident, author=plain_title(c.child_text("comment_author")) or anonymous(lang), date=date,
        body=comment_body(autop(c.child_text("comment_content")), export, link or ident), source="wordpress",
        author_url=author_url, parent=parent if parent in ids and parent != ident else None,
        url=author_url if kind in ("pingback", "trackback")
        else (f"{link}#comment-{ident}" if http_url(link) else None),
        approved=c.child_text("comment_approved") == "1", anchors=(f"comment-{ident}",),
        kind=kind if kind in ("pingback", "trackback") else "comment",
        own=c.child_text("comment_user_id") not in ("", "0"),
    )
