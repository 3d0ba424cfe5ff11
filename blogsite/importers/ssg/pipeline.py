"""From a source site to blogsite posts: URLs, syntax, files, languages, then the writer."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from blogsite.config import Config
from blogsite.importers.ssg.assets import AssetFinder
from blogsite.importers.ssg.language import detect_language
from blogsite.importers.ssg.meta import (
    SUMMARY_KEYS,
    first_text,
    image_of,
    is_draft,
    updated_of,
    zero_date_keys,
)
from blogsite.importers.ssg.model import ImportedDoc, ImportReport, Kind, SourceDoc, SourceSite
from blogsite.importers.ssg.permalinks import as_alias
from blogsite.importers.ssg.refs import Refs
from blogsite.post import slugify
from blogsite.site import url_maker


@dataclass(frozen=True)
class Planned:
    """A source doc with what blogsite will call it: file name, slug, language and URL."""

    doc: SourceDoc
    name: str
    slug: str
    lang: str | None
    url: str


def _same_language(a: str, b: str) -> bool:
    return a.split("-")[0].lower() == b.split("-")[0].lower()


def _language(doc: SourceDoc, site: SourceSite, config: Config, report: ImportReport) -> str | None:
    """The post's `lang` when it is not the site's: from the source, else detected."""
    lang, how = doc.lang, "from its front matter or file name"
    if lang is None:
        lang, how = detect_language(doc.body), "detected from its text"
    if lang is None:
        lang, how = site.language, f"the {site.generator} site's language"
    if lang is None or _same_language(lang, config.site.language):
        return None
    report.languages.append(f"{doc.rel}: {lang} ({how})")
    return lang


def _first_free(base: str, used: Callable[[str], bool]) -> str:
    """`base`, else `base-2`, `base-3`... whichever is not used yet."""
    candidate, counter = base, 2
    while used(candidate):
        candidate, counter = f"{base}-{counter}", counter + 1
    return candidate


def plan(site: SourceSite, config: Config, report: ImportReport) -> tuple[list[Planned], Refs]:
    make_url = url_maker(config)
    names: set[tuple[Kind, str]] = set()
    urls: set[str] = set()
    planned: list[Planned] = []
    refs = Refs()
    for doc in site.docs:
        lang = _language(doc, site, config, report)

        def url_of(slug: str, doc: SourceDoc = doc, lang: str | None = lang) -> str:
            if doc.kind is Kind.PAGE:
                return f"/{slug}/"
            return str(make_url(doc.date, slug, lang or config.site.language))

        wanted = slugify(doc.slug or doc.title or Path(doc.rel).stem)
        # Two posts of one month with one slug would share a URL: the second gets "-2".
        slug = _first_free(wanted, lambda s: url_of(s) in urls)
        if slug != wanted:
            report.notes.append(f"{doc.rel}: slug {wanted!r} was another post's URL too: {slug!r}")
        def name_used(name: str, kind: Kind = doc.kind) -> bool:
            return (kind, name) in names

        name = _first_free(slug, name_used)
        names.add((doc.kind, name))
        urls.add(url_of(slug))
        planned.append(Planned(doc, name, slug, lang, url_of(slug)))
        refs.add(doc, url_of(slug))
    return planned, refs


# blogsite's own pages: a redirect written there would replace them.
_OWN_FILES = ("/", "/index.html", "/404.html", "/rss.xml", "/atom.xml", "/feed.json", "/sitemap.xml")


_OWN_PAGES_RE = re.compile(r"^/(?:tags/|page/\d+/|archives/(?:\d{4}/(?:\d\d/)?)?$)")


def _is_blogsites(alias: str) -> bool:
    return alias in _OWN_FILES or bool(_OWN_PAGES_RE.match(alias))


def _aliases(item: Planned, taken: set[str], report: ImportReport) -> tuple[str, ...]:
    """The post's old URLs, less its new one and any another post already holds."""
    out: list[str] = []
    for url in item.doc.old_urls:
        alias = as_alias(url)
        if alias in (item.url, item.url.rstrip("/") + "/") or alias in out:
            continue
        if _is_blogsites(alias):
            report.notes.append(f"{item.doc.rel}: old URL {alias} is one of blogsite's own pages, not kept")
            continue
        if alias in taken:
            report.notes.append(f"{item.doc.rel}: old URL {alias} is already another post's, not kept")
            continue
        taken.add(alias)
        out.append(alias)
    return tuple(out)


def finish(item: Planned, site: SourceSite, refs: Refs, finder: AssetFinder,
           report: ImportReport, taken: set[str]) -> ImportedDoc:
    doc = item.doc
    converted = site.convert(doc, refs)
    report.unknown_syntax += [f"{doc.rel}: {snippet}" for snippet in converted.unknown]
    body = finder.rewrite(converted.body, doc.path)
    image = image_of(doc.meta)
    if image:
        image = finder.rewrite(f"]({image})", doc.path)[2:]
    draft = is_draft(doc.meta)
    if doc.kind is Kind.POST and doc.date is None and not draft:
        draft = True
        raw = doc.meta.get("date")
        why = f"`date` {raw!r} is not a date" if raw and not zero_date_keys(doc.meta) else (
            "no date in the front matter or the file name")
        doc.notes.append(f"{why}: imported as a draft")
    title = doc.title or item.slug.replace("-", " ").capitalize()
    if not doc.title:
        doc.notes.append(f"no title: named {title!r} after its slug")
    report.notes += [f"{doc.rel}: {note}" for note in doc.notes]
    return ImportedDoc(
        kind=doc.kind, name=item.name, source=doc.path, title=title, body=body, date=doc.date,
        updated=updated_of(doc.meta, site.zone), slug=item.slug, tags=doc.tags,
        summary=first_text(doc.meta, SUMMARY_KEYS), draft=draft, lang=item.lang,
        aliases=_aliases(item, taken, report), image=image,
    )
