"""Reading a Hugo site: its configuration, content/ and the URL each page had."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from blogsite.errors import Problem
from blogsite.importers.ssg.dates import parse_foreign_date
from blogsite.importers.ssg.hugo_shortcodes import convert_hugo
from blogsite.importers.ssg.meta import as_list, first_text, lower_keys, tags_of, zero_date_keys
from blogsite.importers.ssg.model import Kind, SiteSettings, SourceDoc, SourceSite
from blogsite.importers.ssg.permalinks import as_alias, clean_path, hugo_url, hugo_urlize
from blogsite.importers.ssg.reading import markdown_files, read_config, read_front, short_lang, zone_of

CONFIG_NAMES = ("hugo.toml", "hugo.yaml", "hugo.yml", "config.toml", "config.yaml", "config.yml")


def find_config(root: Path) -> Path | None:
    for folder in (root, root / "config" / "_default"):
        for name in CONFIG_NAMES:
            if (folder / name).is_file():
                return folder / name
    return None


class _HugoConfig:
    """The settings of config.toml that decide where pages were published."""

    def __init__(self, data: dict[str, Any], fallback: ZoneInfo) -> None:
        cfg = lower_keys(data)
        self.content_dir = str(cfg.get("contentdir") or "content")
        self.static_dir = str(cfg.get("staticdir") or "static")
        self.default_lang = short_lang(cfg.get("defaultcontentlanguage")) or "en"
        self.language = short_lang(cfg.get("languagecode")) or short_lang(cfg.get("defaultcontentlanguage"))
        languages = cfg.get("languages")
        self.languages = {str(k).lower() for k in languages} if isinstance(languages, dict) else set()
        self.ugly = bool(cfg.get("uglyurls"))
        self.zone = zone_of(cfg.get("timezone"), fallback)
        permalinks = cfg.get("permalinks") or {}
        if isinstance(permalinks.get("page"), dict):  # Hugo 0.120's [permalinks.page]
            permalinks = permalinks["page"]
        self.permalinks = {str(k).lower(): str(v) for k, v in permalinks.items() if isinstance(v, str)}


def read_hugo(root: Path, settings: SiteSettings, problems: list[Problem]) -> SourceSite:
    path = find_config(root)
    assert path is not None  # detection found it
    cfg = _HugoConfig(read_config(path), ZoneInfo(settings.zone_name))
    content = root / cfg.content_dir
    docs: list[SourceDoc] = []
    notes: list[str] = []
    for file in markdown_files(content):
        rel = file.relative_to(content).as_posix()
        if file.stem.split(".")[0] == "_index":
            notes.append(f"{rel}: a section's list page, not imported (blogsite makes its own)")
            continue
        read = read_front(file, problems)
        if read is not None:
            docs.append(_doc(file, rel, read[0], read[1], cfg))
    return SourceSite("Hugo", root, cfg.language, cfg.zone, docs, convert_hugo,
                      [root / cfg.static_dir, content], notes)


def _name_and_lang(rel: str, cfg: _HugoConfig) -> tuple[str, str | None]:
    """("my-post", "fr") for posts/my-post.fr.md; a bundle's name is its folder's."""
    parts = rel.rsplit("/", 1)[-1].split(".")[:-1]
    lang = None
    suffix = parts[-1].lower() if len(parts) > 1 else ""
    if suffix and (suffix in cfg.languages or (len(suffix) == 2 and suffix.isalpha())):
        lang = parts.pop().lower()
    name = ".".join(parts)
    if name == "index" and "/" in rel:
        name = rel.rsplit("/", 2)[-2]
    return name, lang


def _doc(file: Path, rel: str, meta: dict[str, Any], body: str, cfg: _HugoConfig) -> SourceDoc:
    name, file_lang = _name_and_lang(rel, cfg)
    parts = rel.split("/")
    folders = parts[:-1]
    if parts[-1].split(".")[0] == "index" and folders:
        folders = folders[:-1]  # a page bundle: the folder is the page
    kind = Kind.POST if folders else Kind.PAGE
    doc = SourceDoc(file, rel, kind, meta, body)
    doc.title = first_text(meta, ("title",)) or ""
    doc.date = parse_foreign_date(meta.get("date"), cfg.zone) or parse_foreign_date(
        meta.get("publishdate"), cfg.zone
    )
    for key in zero_date_keys(meta):
        doc.notes.append(f"`{key}` is Go's zero time (0001-01-01), Hugo's \"no date\": treated as missing")
    doc.slug = first_text(meta, ("slug",)) or name
    doc.lang = short_lang(meta.get("lang") or meta.get("language")) or file_lang
    doc.tags = tags_of(meta)
    doc.old_urls = [_old_url(doc, name, folders, cfg)] + [as_alias(a) for a in as_list(meta.get("aliases"))]
    return doc


def _old_url(doc: SourceDoc, name: str, folders: list[str], cfg: _HugoConfig) -> str:
    own = first_text(doc.meta, ("url",))
    if own:
        url = clean_path(own)
    else:
        section = folders[0].lower() if folders else ""
        slug = first_text(doc.meta, ("slug",))
        pattern = cfg.permalinks.get(section)
        if pattern:
            values = {"slug": slug or hugo_urlize(doc.title), "title": hugo_urlize(doc.title),
                      "filename": name, "section": section, "sections": "/".join(folders),
                      "contentbasename": name}
            url = hugo_url(pattern, doc.date, values)
        else:
            url = clean_path("/".join([*folders, slug or name]).lower() + "/")
        if cfg.ugly and url.endswith("/") and url != "/":
            url = url[:-1] + ".html"
    if doc.lang and cfg.languages and doc.lang != cfg.default_lang.lower():
        url = f"/{doc.lang}{url}"
    return as_alias(url)
