"""Jekyll's Liquid tags turned into Markdown: highlight, raw, comment, post_url, link,
include of a snippet without Liquid in it, site.baseurl; any other kept in a code span."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from blogsite.importers.ssg.kramdown import convert_kramdown
from blogsite.importers.ssg.model import SourceDoc
from blogsite.importers.ssg.refs import Refs
from blogsite.importers.ssg.shortcodes import Conversion, Protected, code_span, fenced

_RAW_RE = re.compile(r"\{%-?\s*raw\s*-?%\}(.*?)\{%-?\s*endraw\s*-?%\}", re.S)
_COMMENT_RE = re.compile(r"\{%-?\s*comment\s*-?%\}.*?\{%-?\s*endcomment\s*-?%\}", re.S)
_HIGHLIGHT_RE = re.compile(
    r"\{%-?\s*highlight\s+([\w+#.-]+)[^%]*-?%\}\n?(.*?)\{%-?\s*endhighlight\s*-?%\}", re.S
)
_TAG_RE = re.compile(r"\{%-?\s*(\w+)(.*?)-?%\}", re.S)
_OUTPUT_RE = re.compile(r"\{\{-?\s*(.*?)\s*-?\}\}", re.S)
_STRING_FILTER_RE = re.compile(
    r"^[\"']([^\"']*)[\"']\s*\|\s*(?:relative_url|absolute_url|prepend:\s*site\.(?:base)?url)\s*$"
)
_SITE_URL_RE = re.compile(r"^site\.(?:baseurl|url)(?:\s*\|.*)?$")


@dataclass(frozen=True)
class LiquidConverter:
    """Converts the Liquid of one Jekyll site's posts; `includes` is its _includes folder."""

    includes: Path

    def __call__(self, doc: SourceDoc, refs: Refs) -> Conversion:
        kept = Protected()
        unknown: list[str] = []
        text = _RAW_RE.sub(lambda m: kept.keep(m.group(1)), doc.body)
        text = _COMMENT_RE.sub("", text)
        text = _HIGHLIGHT_RE.sub(lambda m: kept.keep(fenced(m.group(2), m.group(1))), text)
        text = convert_kramdown(kept.protect_code(text))

        def visible(snippet: str) -> str:
            unknown.append(" ".join(snippet.split()))
            return kept.keep(code_span(" ".join(snippet.split())))

        def tag(m: re.Match[str]) -> str:
            found = self._tag(m.group(1), m.group(2).strip(), doc, refs)
            return visible(m.group(0)) if found is None else found

        def output(m: re.Match[str]) -> str:
            found = _output(m.group(1))
            return visible(m.group(0)) if found is None else found

        text = _TAG_RE.sub(tag, text)
        text = _OUTPUT_RE.sub(output, text)
        return Conversion(kept.restore(text), unknown)

    def _tag(self, name: str, args: str, doc: SourceDoc, refs: Refs) -> str | None:
        if name == "post_url":
            return refs.resolve(args.split()[0] if args else "", "")
        if name == "link":
            return refs.resolve(args, "") if args else None
        if name == "include":
            return self._include(args)
        return None

    def _include(self, args: str) -> str | None:
        """A snippet from _includes/ with no Liquid of its own, inlined; None otherwise."""
        name = args.split()[0] if args else ""
        path = self.includes / name
        if not name or ".." in name or not path.is_file():
            return None
        text = path.read_text(encoding="utf-8", errors="replace")
        if "{{" in text or "{%" in text:
            return None
        return text.strip()


def _output(expression: str) -> str | None:
    if _SITE_URL_RE.match(expression):
        return ""
    m = _STRING_FILTER_RE.match(expression)
    return m.group(1) if m else None
