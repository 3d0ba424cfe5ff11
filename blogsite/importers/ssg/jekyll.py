"""Reading a Jekyll site: _config.yml, _posts (also under `source:` and category folders),
_drafts, pages with front matter, and the URL each had under its permalink style."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from blogsite.errors import Problem
from blogsite.importers.ssg.dates import date_from_name, parse_foreign_date
from blogsite.importers.ssg.liquid import LiquidConverter
from blogsite.importers.ssg.meta import as_list, first_text, tags_of
from blogsite.importers.ssg.model import Kind, SiteSettings, SourceDoc, SourceSite
from blogsite.importers.ssg.permalinks import as_alias, clean_path, jekyll_url
from blogsite.importers.ssg.reading import markdown_files, read_config, read_front, short_lang, zone_of

_SKIPPED_FOLDERS = {"_site", "_includes", "_layouts", "_sass", "_data", "node_modules", "vendor", ".git"}


class _JekyllConfig:
    def __init__(self, root: Path, data: dict[str, Any], fallback: ZoneInfo) -> None:
        self.source = root / str(data.get("source") or ".")
        self.permalink = str(data.get("permalink") or "date")
        self.zone = zone_of(data.get("timezone"), fallback)
        self.language = short_lang(data.get("lang") or data.get("locale") or data.get("language"))
        self.exclude = {str(x).strip("/") for x in as_list(data.get("exclude"))}
        self.post_defaults: dict[str, Any] = {}
        for entry in data.get("defaults") or []:
            scope = entry.get("scope") or {} if isinstance(entry, dict) else {}
            if scope.get("type") in ("posts", None) and not scope.get("path"):
                self.post_defaults.update({str(k).lower(): v for k, v in (entry.get("values") or {}).items()})


def read_jekyll(root: Path, settings: SiteSettings, problems: list[Problem]) -> SourceSite:
    name = "_config.yml" if (root / "_config.yml").is_file() else "_config.yaml"
    cfg = _JekyllConfig(root, read_config(root / name), ZoneInfo(settings.zone_name))
    docs: list[SourceDoc] = []
    notes: list[str] = []
    for file in markdown_files(cfg.source):
        rel = file.relative_to(cfg.source).as_posix()
        parts = rel.split("/")
        if _SKIPPED_FOLDERS.intersection(parts) or any(rel.startswith(x) for x in cfg.exclude if x):
            continue
        with file.open("rb") as head:
            if head.read(3) != b"---":
                continue  # Jekyll copies files without front matter as they are: not pages
        read = read_front(file, problems)
        if read is None:
            continue
        if rel.rsplit(".", 1)[0] == "index":
            notes.append(f"{rel}: the home page, not imported (blogsite makes its own)")
        elif "_posts" in parts or "_drafts" in parts:
            docs.append(_post(file, rel, {**cfg.post_defaults, **read[0]}, read[1], cfg))
        else:
            docs.append(_page(file, rel, read[0], read[1], cfg))
    return SourceSite("Jekyll", root, cfg.language, cfg.zone, docs,
                      LiquidConverter(cfg.source / "_includes"), [cfg.source], notes)


def _post(file: Path, rel: str, meta: dict[str, Any], body: str, cfg: _JekyllConfig) -> SourceDoc:
    parts = rel.split("/")
    marker = "_posts" if "_posts" in parts else "_drafts"
    folder_categories = parts[: parts.index(marker)]
    named_date, name = date_from_name(file.stem, cfg.zone)
    doc = SourceDoc(file, rel, Kind.POST, meta, body)
    doc.title = first_text(meta, ("title",)) or ""
    doc.date = parse_foreign_date(meta.get("date"), cfg.zone) or named_date
    doc.slug = first_text(meta, ("slug",)) or name
    doc.lang = short_lang(meta.get("lang") or meta.get("language") or meta.get("locale"))
    doc.tags = tags_of(meta, separators=", ")
    if marker == "_drafts":
        meta["draft"] = True
    categories = folder_categories + as_list(meta.get("categories") or meta.get("category"), " ,")
    pattern = first_text(meta, ("permalink",)) or cfg.permalink
    doc.old_urls = [jekyll_url(pattern, doc.date, doc.slug, categories)]
    doc.old_urls += [as_alias(a) for a in as_list(meta.get("redirect_from"))]
    return doc


def _page(file: Path, rel: str, meta: dict[str, Any], body: str, cfg: _JekyllConfig) -> SourceDoc:
    doc = SourceDoc(file, rel, Kind.PAGE, meta, body)
    stem = rel.rsplit(".", 1)[0]
    doc.title = first_text(meta, ("title",)) or ""
    doc.slug = first_text(meta, ("slug",)) or stem.replace("/", "-")
    doc.lang = short_lang(meta.get("lang") or meta.get("language") or meta.get("locale"))
    own = first_text(meta, ("permalink",))
    if own:
        url = clean_path(own)
    elif stem == "index" or stem.endswith("/index"):
        url = clean_path(stem[: -len("index")])
    elif cfg.permalink == "pretty" or cfg.permalink.endswith("/"):
        url = clean_path(stem + "/")
    else:
        url = clean_path(stem + ".html")
    doc.old_urls = [url] + [as_alias(a) for a in as_list(meta.get("redirect_from"))]
    return doc
