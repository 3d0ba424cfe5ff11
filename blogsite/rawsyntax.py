"""Template syntax of other generators that reached a post's HTML: a forgotten shortcode.

Hugo (`{{< >}}`, `{{% %}}`), Liquid (`{% %}`, Jekyll) and Pelican (`{static}`, `{filename}`)
syntax means nothing to blogsite; left in a post it is published as text, or half-turned
into HTML. Inside code it is an example the writer meant to show, and is left alone.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from html.parser import HTMLParser

from blogsite.errors import Problem, display_path
from blogsite.post import Post

RAW_TEMPLATE_RE = re.compile(r"\{\{[<%]|\{%|\{(?:static|filename|attach|tag)\}(?=[/\w])")
# The same, as it may look in HTML source (`<` escaped): a cheap filter before parsing.
_IN_HTML_RE = re.compile(r"\{\{(?:[<%]|&lt;)|\{%|\{(?:static|filename|attach|tag)\}")


class _TemplateFinder(HTMLParser):
    """Raw template syntax in the text and links of an HTML fragment, outside code."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._code_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("code", "pre", "kbd", "samp"):
            self._code_depth += 1
        for name, value in attrs:
            if name in ("href", "src") and value:
                self._look(value)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("code", "pre", "kbd", "samp") and self._code_depth:
            self._code_depth -= 1

    def handle_data(self, data: str) -> None:
        if not self._code_depth:
            self._look(data)

    def _look(self, text: str) -> None:
        for m in RAW_TEMPLATE_RE.finditer(text):
            end = text.find("}", m.end())
            snippet = text[m.start() : end + 2 if end >= 0 else m.end() + 30]
            self.found.append(" ".join(snippet.split())[:60])


def raw_template_in(html: str) -> list[str]:
    """The raw template syntax snippets of `html`, outside code."""
    if not _IN_HTML_RE.search(html):
        return []
    finder = _TemplateFinder()
    finder.feed(html)
    finder.close()
    return finder.found


def raw_template_warnings(posts: Iterable[Post]) -> list[Problem]:
    """A warning for each post or page whose body or summary shows raw template syntax."""
    problems = []
    for post in posts:
        found = raw_template_in(post.html)
        if post.explicit_summary:
            found += raw_template_in(post.summary_html)
        if not found:
            continue
        more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
        problems.append(
            Problem(
                display_path(post.source),
                f"raw template syntax `{found[0]}` would be published as it is{more}",
                "convert the shortcode or tag to Markdown (`blogsite import` does it for a"
                " Hugo, Jekyll, Pelican or Zola site), or put it in a code span if it is an example",
                warning=True,
            )
        )
    return problems
