"""Reading a Zola site: config.toml, content/ sections, [taxonomies], `@/` links and the
URL each page had (section path and slug, or its own `path`)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from blogsite.errors import Problem
from blogsite.importers.ssg.dates import date_from_name, parse_foreign_date
from blogsite.importers.ssg.meta import as_list, first_text, lower_keys, tags_of
from blogsite.importers.ssg.model import Kind, SiteSettings, SourceDoc, SourceSite
from blogsite.importers.ssg.permalinks import as_alias, clean_path
from blogsite.importers.ssg.reading import markdown_files, read_config, read_front, short_lang
from blogsite.importers.ssg.refs import Refs
from blogsite.importers.ssg.shortcodes import Conversion, Protected, code_span, gist_markdown, video_html
from blogsite.post import slugify

_INTERNAL_RE = re.compile(r"@/([^\s)\"'>#]+)(#[\w-]+)?")
_CALL_RE = re.compile(r"\{\{\s*(\w+)\((.*?)\)\s*\}\}|\{%\s*(\w+)\((.*?)\)\s*%\}|\{%\s*end\s*%\}", re.S)
_ARG_RE = re.compile(r"(\w+)\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^,\s]+))")


def _call(name: str, args: str) -> str | None:
    named = {m.group(1): m.group(2) or m.group(3) or m.group(4) or "" for m in _ARG_RE.finditer(args)}
    if name in ("youtube", "vimeo") and named.get("id"):
        return video_html(name, named["id"], True)
    if name == "gist" and named.get("url"):
        parts = named["url"].rstrip("/").split("/")
        return gist_markdown(parts[-2] if len(parts) > 1 else "", parts[-1], named.get("file", ""))
    return None


def convert_zola(doc: SourceDoc, refs: Refs) -> Conversion:
    kept = Protected()
    unknown: list[str] = []
    text = kept.protect_code(doc.body)

    def internal(m: re.Match[str]) -> str:
        url = refs.resolve(m.group(1) + (m.group(2) or ""), "")
        if url is None:
            unknown.append(m.group(0))
            return kept.keep(code_span(m.group(0)))
        return url

    def call(m: re.Match[str]) -> str:
        found = _call(m.group(1), m.group(2)) if m.group(1) else None
        if found is None:
            unknown.append(" ".join(m.group(0).split()))
            return kept.keep(code_span(" ".join(m.group(0).split())))
        return found

    text = _INTERNAL_RE.sub(internal, text)
    text = _CALL_RE.sub(call, text)
    return Conversion(kept.restore(text), unknown)


def read_zola(root: Path, settings: SiteSettings, problems: list[Problem]) -> SourceSite:
    cfg = lower_keys(read_config(root / "config.toml"))
    language = short_lang(cfg.get("default_language")) or "en"
    zone = ZoneInfo(settings.zone_name)
    content = root / "content"
    docs, notes = [], []
    for file in markdown_files(content):
        rel = file.relative_to(content).as_posix()
        if file.stem.split(".")[0] == "_index":
            notes.append(f"{rel}: a section's list page, not imported (blogsite makes its own)")
            continue
        read = read_front(file, problems)
        if read is not None:
            docs.append(_doc(file, rel, read[0], read[1], zone, language))
    return SourceSite("Zola", root, language, zone, docs, convert_zola, [root / "static", content], notes)


def _doc(file: Path, rel: str, meta: dict[str, Any], body: str, zone: ZoneInfo, default: str) -> SourceDoc:
    parts = rel.split("/")
    stem, _, lang = parts[-1].rsplit(".", 1)[0].partition(".")
    folders = parts[:-1]
    if stem == "index" and folders:
        stem = folders.pop()  # a page with its assets beside it
    named_date, name = date_from_name(stem, zone)
    date = parse_foreign_date(meta.get("date"), zone) or named_date
    doc = SourceDoc(file, rel, Kind.POST if folders and date else Kind.PAGE, meta, body)
    doc.title, doc.date = first_text(meta, ("title",)) or "", date
    doc.slug = first_text(meta, ("slug",)) or slugify(name)
    doc.lang = short_lang(lang) if lang else None
    doc.tags = tags_of(meta)
    own = first_text(meta, ("path",))
    url = clean_path(own.strip("/") + "/") if own else clean_path("/".join([*folders, doc.slug]) + "/")
    if doc.lang and doc.lang != default:
        url = f"/{doc.lang}{url}"
    doc.old_urls = [url] + [as_alias(a) for a in as_list(meta.get("aliases"))]
    return doc
