"""What every importer produces: posts, pages and comments as typed values, ready to write.

An importer (Blogger, WordPress, and later Jekyll, Hugo, Pelican, Zola) reads its source into
an `Export`; `blogsite.importers.writer` turns it into files, the same way for all of them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class ImportedComment:
    """A comment in the comments folder's format (docs/comments.md)."""

    id: str  # [A-Za-z0-9_-]+, unique within the post
    author: str
    date: datetime  # with its offset
    body: str  # HTML fragment (sanitized again when the site is built)
    source: str  # blogger | wordpress | ...
    author_url: str | None = None
    parent: str | None = None
    url: str | None = None
    approved: bool = True
    anchors: tuple[str, ...] = ()
    kind: str = "comment"  # comment | pingback | trackback
    own: bool = False


@dataclass(frozen=True)
class ImportedPost:
    """A post or a page, its body already Markdown."""

    title: str
    body: str  # Markdown
    slug: str
    date: datetime | None = None
    updated: datetime | None = None
    tags: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    draft: bool = False
    summary: str | None = None
    is_page: bool = False
    comments: tuple[ImportedComment, ...] = ()
    # Why it is a draft, when it was not one on the old blog ("password-protected"...).
    draft_reason: str | None = None
    # Set when the original had no title (a placeholder is written).
    untitled: bool = False
    original_status: str = ""  # as the old blog called it: "publish", "DRAFT", "pending"...


@dataclass(frozen=True)
class Dropped:
    """Something of the export left out on purpose, for the report."""

    what: str  # "comment", "post", "page"
    reason: str  # "spam", "trash", "deleted"


@dataclass
class Export:
    """Everything an importer read from one export."""

    kind: str  # "Blogger (classic)", "Blogger (Takeout)", "WordPress WXR 1.2"...
    posts: list[ImportedPost] = field(default_factory=list)
    dropped: list[Dropped] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    shortcodes: dict[str, int] = field(default_factory=dict)  # unknown shortcode -> times
