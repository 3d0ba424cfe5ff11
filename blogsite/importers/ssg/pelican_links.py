"""Pelican's link syntax turned into plain links: {static}, {attach}, {filename}, {tag},
{category}, {author}, {index} (and the old |static| spelling); liquid_tags plugin tags
and any other template syntax kept in a code span."""

from __future__ import annotations

import re

from blogsite.importers.ssg.model import SourceDoc
from blogsite.importers.ssg.refs import Refs
from blogsite.importers.ssg.shortcodes import Conversion, Protected, code_span, video_html
from blogsite.site import tag_slug

_LINK_RE = re.compile(r"[{|](static|attach|filename|tag|category|author|index)[}|]([^\s)\"'>]*)")
_TEMPLATE_RE = re.compile(r"\{%-?\s*(\w+)(.*?)-?%\}|\{\{.*?\}\}", re.S)
_FILE_SUFFIXES = (".md", ".markdown", ".mdown", ".rst", ".html")


def _link(kind: str, target: str, doc: SourceDoc, refs: Refs) -> str | None:
    if kind in ("static", "attach"):
        return target
    if kind == "filename":
        path = target.split("#", 1)[0]
        if path.lower().endswith(_FILE_SUFFIXES):
            return refs.resolve(target, doc.rel)
        return target
    if kind in ("tag", "category"):
        return f"/tags/{tag_slug(target)}/" if target else None
    return "/" if kind in ("author", "index") else None


def convert_pelican(doc: SourceDoc, refs: Refs) -> Conversion:
    kept = Protected()
    unknown: list[str] = []
    text = kept.protect_code(doc.body)

    def link(m: re.Match[str]) -> str:
        found = _link(m.group(1), m.group(2), doc, refs)
        if found is None:
            unknown.append(m.group(0))
            return kept.keep(code_span(m.group(0)))
        return found

    def template(m: re.Match[str]) -> str:
        if m.group(1) == "youtube" and m.group(2).split():
            return video_html("youtube", m.group(2).split()[0], True)
        snippet = " ".join(m.group(0).split())
        unknown.append(snippet)
        return kept.keep(code_span(snippet))

    text = _LINK_RE.sub(link, text)
    text = _TEMPLATE_RE.sub(template, text)
    return Conversion(kept.restore(text), unknown)
