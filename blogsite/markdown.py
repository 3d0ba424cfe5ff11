"""Markdown to HTML with Python-Markdown, configured per language.

One converter per language is kept and reset between documents: building a Markdown
instance with its extensions costs more than converting a short post.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import markdown as pymarkdown

from blogsite.typography import for_html, is_french

MORE_MARKER = re.compile(r"<!--\s*more\s*-->", re.I)

# Smart punctuation per language: straight quotes become the language's own quotes.
_QUOTES = {
    "fr": {
        "left-double-quote": "&laquo;&#8239;",
        "right-double-quote": "&#8239;&raquo;",
        "left-single-quote": "&lsquo;",
        "right-single-quote": "&rsquo;",
    },
    "de": {
        "left-double-quote": "&bdquo;",
        "right-double-quote": "&ldquo;",
        "left-single-quote": "&sbquo;",
        "right-single-quote": "&lsquo;",
    },
}


@dataclass(frozen=True)
class Rendered:
    html: str
    toc: str
    summary_html: str  # before <!-- more -->, or the first paragraph; "" if none


_converters: dict[str, pymarkdown.Markdown] = {}


def _converter(lang: str) -> pymarkdown.Markdown:
    key = lang.lower().split("-")[0]
    md = _converters.get(key)
    if md is None:
        md = pymarkdown.Markdown(
            extensions=[
                "fenced_code",
                "codehilite",
                "tables",
                "footnotes",
                "toc",
                "smarty",
                "attr_list",
                "def_list",
                "abbr",
                "sane_lists",
            ],
            extension_configs={
                "codehilite": {"css_class": "highlight", "guess_lang": False},
                "toc": {"permalink": False, "toc_depth": "2-4"},
                "smarty": {"substitutions": _QUOTES.get(key, {})},
                "footnotes": {"UNIQUE_IDS": False},
            },
            output_format="html",
        )
        _converters[key] = md
    return md


def render_markdown(text: str, lang: str) -> Rendered:
    md = _converter(lang)
    md.reset()
    parts = MORE_MARKER.split(text, maxsplit=1)
    html = md.convert(text)
    toc = getattr(md, "toc", "")
    if len(parts) == 2:
        md.reset()
        summary = md.convert(parts[0])
    else:
        m = re.search(r"<p>.*?</p>", html, re.S)
        summary = m.group(0) if m else ""
    # Footnote references in a summary would point at notes that are not on the page.
    summary = re.sub(r'<sup id="fnref[^"]*">.*?</sup>', "", summary, flags=re.S)
    md.reset()
    html = for_html(html, lang)
    summary = for_html(summary, lang)
    return Rendered(html, toc if '<li' in toc else "", summary)


def render_inline(text: str, lang: str) -> str:
    """Markdown for a one-paragraph field (a summary) without the wrapping <p>."""
    md = _converter(lang)
    md.reset()
    html = md.convert(text)
    md.reset()
    html = re.sub(r"^<p>(.*)</p>$", r"\1", html.strip(), flags=re.S)
    return for_html(html, lang)


__all__ = ["render_markdown", "render_inline", "Rendered", "is_french"]
