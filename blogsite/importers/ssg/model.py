"""The typed shapes shared by the Jekyll, Hugo, Pelican and Zola readers and the writer."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from blogsite.importers.ssg.refs import Refs
    from blogsite.importers.ssg.shortcodes import Conversion


class Kind(Enum):
    POST = "post"
    PAGE = "page"


@dataclass(frozen=True)
class SiteSettings:
    """What the importers need of the blogsite site being imported into."""

    root: Path
    language: str
    zone_name: str


@dataclass
class SourceDoc:
    """One post or page as its generator sees it, before conversion.

    `meta` holds the source's front matter with its keys lowercased; `body` is the
    Markdown (or HTML) after the front matter, still in the generator's syntax.
    """

    path: Path  # the source file
    rel: str  # its path relative to the content folder, "/"-separated
    kind: Kind
    meta: dict[str, Any]
    body: str
    title: str = ""
    date: datetime | None = None
    slug: str = ""
    lang: str | None = None
    tags: tuple[str, ...] = ()
    old_urls: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what the report says about this file


@dataclass(frozen=True)
class ImportedDoc:
    """A post or page as blogsite will read it: front matter keys of blogsite only."""

    kind: Kind
    name: str  # file name in posts/ or pages/, without .md
    source: Path
    title: str
    body: str
    date: datetime | None
    updated: datetime | None
    slug: str
    tags: tuple[str, ...]
    summary: str | None
    draft: bool
    lang: str | None
    aliases: tuple[str, ...]
    image: str | None


@dataclass(frozen=True)
class Asset:
    """A file a post uses: copied from `source` to static/`target`."""

    source: Path
    target: str  # path under static/, "/"-separated


@dataclass
class ImportReport:
    """What an import did, for the final report."""

    generator: str
    written: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    kept_edited: list[str] = field(default_factory=list)
    assets: list[str] = field(default_factory=list)
    missing_assets: list[str] = field(default_factory=list)
    unknown_syntax: list[str] = field(default_factory=list)  # "file: snippet"
    languages: list[str] = field(default_factory=list)  # "file: en"
    notes: list[str] = field(default_factory=list)  # "file: what happened"


class Converter(Protocol):
    """A generator's syntax (shortcodes, tags, links) turned into Markdown for one post."""

    def __call__(self, doc: SourceDoc, refs: Refs) -> Conversion: ...


@dataclass
class SourceSite:
    """A Jekyll, Hugo, Pelican or Zola site as its reader found it."""

    generator: str
    root: Path
    language: str | None  # the source site's own language, when its configuration says
    zone: ZoneInfo
    docs: list[SourceDoc]
    convert: Converter
    asset_roots: list[Path]  # where a link like /images/a.png is found, in order
    notes: list[str] = field(default_factory=list)
