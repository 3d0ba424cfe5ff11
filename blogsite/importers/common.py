"""Helpers shared by the Blogger and WordPress readers: dates, old paths, comment bodies."""

from __future__ import annotations

import html
import re
from datetime import datetime
from urllib.parse import unquote, urlsplit
from zoneinfo import ZoneInfo

from blogsite.comments import sanitize
from blogsite.importers.model import Export

# A comment body longer than this is cut (and said in the report): the site refuses files
# over 64 KB, and no reader's comment is that long.
COMMENT_MAX = 50_000


def parse_when(text: str, zone: ZoneInfo) -> datetime | None:
    """An export's timestamp in the site's time zone (None when missing or unreadable)."""
    text = text.strip()
    if not text or text.startswith("0000"):
        return None
    try:
        found = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if found.tzinfo is None:
        found = found.replace(tzinfo=zone)
    return found.astimezone(zone).replace(microsecond=0)


def old_path(url: str) -> str | None:
    """The path of an old address, %-decoded ("/2010/03/influence.html"); None when it has
    none a static site could serve (the home page, "/?p=12")."""
    if not url.strip():
        return None
    parts = urlsplit(url.strip())
    path = unquote(parts.path)
    if parts.query or path in ("", "/") or ".." in path.split("/"):
        return None
    return path if path.startswith("/") else "/" + path


def last_segment(path: str) -> str:
    name = path.rstrip("/").rpartition("/")[2]
    return re.sub(r"\.html?$", "", name)


def plain_title(text: str) -> str:
    """Titles come with their HTML entities (sometimes escaped twice) and stray tags."""
    text = html.unescape(html.unescape(text))
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", text)).strip()


def comment_body(raw: str, export: Export, where: str) -> str:
    body = sanitize(raw)
    if len(body) > COMMENT_MAX:
        export.warnings.append(f"{where}: a comment of {len(body)} characters was cut to {COMMENT_MAX}")
        body = sanitize(body[:COMMENT_MAX])
    return body


def http_url(value: str) -> str | None:
    value = value.strip()
    return value if re.match(r"^https?://[^\s\"<>]+$", value) else None


def paragraphs(body: str) -> str:
    """Blogger's comments separate paragraphs with <br /> runs: make them <p>."""
    if re.search(r"<p[\s>]", body, re.I):
        return body
    parts = [p for p in re.split(r"(?:<br\s*/?>\s*){2,}", body, flags=re.I) if p.strip()]
    return "".join(f"<p>{p.strip()}</p>\n" for p in parts)


def anonymous(lang: str) -> str:
    return "Anonyme" if lang.lower().startswith("fr") else "Anonymous"
