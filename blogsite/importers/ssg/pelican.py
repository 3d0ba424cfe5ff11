"""Reading a Pelican site: pelicanconf.py (read, never run), `Key: value` headers, dates
in file names, and each article's URL from ARTICLE_URL."""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from blogsite.errors import BlogsiteError, Problem
from blogsite.importers.ssg.dates import parse_foreign_date
from blogsite.importers.ssg.meta import as_list, first_text, lower_keys
from blogsite.importers.ssg.model import Kind, SiteSettings, SourceDoc, SourceSite
from blogsite.importers.ssg.pelican_links import convert_pelican
from blogsite.importers.ssg.permalinks import as_alias, clean_path, pelican_url
from blogsite.importers.ssg.reading import markdown_files, read_front, read_text, short_lang, zone_of
from blogsite.post import slugify

_HEADER_RE = re.compile(r"^([A-Za-z][\w-]*):[ \t]*(.*)$")
_TITLE_RE = re.compile(r"^#[ \t]+(.+?)[ \t#]*$")


def read_settings(path: Path) -> dict[str, Any]:
    """The literal `NAME = value` assignments of pelicanconf.py (the file is not executed)."""
    settings: dict[str, Any] = {}
    try:
        tree = ast.parse(read_text(path))
    except SyntaxError:
        return settings
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            try:
                settings[node.targets[0].id] = ast.literal_eval(node.value)
            except (ValueError, SyntaxError, TypeError):
                continue
    return settings


class _PelicanConfig:
    def __init__(self, root: Path, data: dict[str, Any], fallback: ZoneInfo) -> None:
        self.content = root / str(data.get("PATH") or "content")
        self.article_url = str(data.get("ARTICLE_URL") or "{slug}.html")
        self.article_lang_url = str(data.get("ARTICLE_LANG_URL") or "{slug}-{lang}.html")
        self.page_url = str(data.get("PAGE_URL") or "pages/{slug}.html")
        self.page_paths = [str(p).strip("/") for p in data.get("PAGE_PATHS") or ["pages"]]
        self.language = short_lang(data.get("DEFAULT_LANG")) or "en"
        self.zone = zone_of(data.get("TIMEZONE"), fallback)
        self.slug_from_name = data.get("SLUGIFY_SOURCE") == "basename"
        self.folder_category = data.get("USE_FOLDER_AS_CATEGORY", True) is not False
        pattern = data.get("FILENAME_METADATA") or r"(?P<date>\d{4}-\d{2}-\d{2}).*"
        self.filename_re = re.compile(str(pattern))


def split_headers(text: str) -> tuple[dict[str, Any], str]:
    """Pelican's `Key: value` lines (continued by indented lines) up to the first blank line."""
    meta: dict[str, Any] = {}
    lines = text.split("\n")
    index, last = 0, ""
    while index < len(lines) and lines[index].strip():
        line = lines[index]
        m = _HEADER_RE.match(line)
        if m:
            last = m.group(1).lower()
            meta[last] = m.group(2).strip()
        elif last and line[:1] in (" ", "\t"):
            meta[last] += " " + line.strip()
        else:
            return {}, text  # not a header block: the body starts at once
        index += 1
    return meta, "\n".join(lines[index:]).lstrip("\n")


def read_pelican(root: Path, settings: SiteSettings, problems: list[Problem]) -> SourceSite:
    cfg = _PelicanConfig(root, read_settings(root / "pelicanconf.py"), ZoneInfo(settings.zone_name))
    docs = []
    for file in markdown_files(cfg.content):
        rel = file.relative_to(cfg.content).as_posix()
        read = _read(file, problems)
        if read is not None:
            docs.append(_doc(file, rel, read[0], read[1], cfg))
    notes = [f"{p.relative_to(cfg.content).as_posix()}: reStructuredText, not imported (convert it to"
             " Markdown first, for example with pandoc)" for p in sorted(cfg.content.rglob("*.rst"))]
    return SourceSite("Pelican", root, cfg.language, cfg.zone, docs, convert_pelican, [cfg.content], notes)


def _read(file: Path, problems: list[Problem]) -> tuple[dict[str, Any], str] | None:
    try:
        text = read_text(file)
    except BlogsiteError as exc:
        problems.extend(exc.problems)
        return None
    if text.startswith(("---\n", "+++\n")):
        return read_front(file, problems)
    meta, body = split_headers(text)
    if "title" not in meta:
        first, _, rest = body.partition("\n")
        m = _TITLE_RE.match(first)
        if m:
            meta["title"], body = m.group(1), rest.lstrip("\n")
    return lower_keys(meta), body


def _doc(file: Path, rel: str, meta: dict[str, Any], body: str, cfg: _PelicanConfig) -> SourceDoc:
    is_page = any(rel == p or rel.startswith(p + "/") for p in cfg.page_paths if p)
    doc = SourceDoc(file, rel, Kind.PAGE if is_page else Kind.POST, meta, body)
    doc.title = first_text(meta, ("title",)) or ""
    named = cfg.filename_re.match(file.stem)
    named_date = named.groupdict().get("date") if named else None
    doc.date = parse_foreign_date(meta.get("date"), cfg.zone) or parse_foreign_date(named_date, cfg.zone)
    source = file.stem if cfg.slug_from_name or not doc.title else doc.title
    doc.slug = first_text(meta, ("slug",)) or slugify(source)
    doc.lang = short_lang(meta.get("lang"))
    category = first_text(meta, ("category",))
    if not category and cfg.folder_category and "/" in rel and not is_page:
        category = rel.split("/")[0]
    tags = as_list(meta.get("tags"), ",;")
    doc.tags = tuple(dict.fromkeys([*([category] if category else []), *tags]))
    doc.old_urls = [_old_url(doc, category or "misc", cfg)]
    return doc


def _old_url(doc: SourceDoc, category: str, cfg: _PelicanConfig) -> str:
    own = first_text(doc.meta, ("url",)) or first_text(doc.meta, ("save_as",))
    if own:
        return as_alias(clean_path(own))
    lang = doc.lang or cfg.language
    fields = {"slug": doc.slug, "lang": lang, "category": slugify(category), "author": ""}
    if doc.kind is Kind.PAGE:
        pattern = cfg.page_url
    else:
        pattern = cfg.article_url if lang == cfg.language else cfg.article_lang_url
    return as_alias(pelican_url(pattern, doc.date, fields))
