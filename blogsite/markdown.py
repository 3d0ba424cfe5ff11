"""Markdown to HTML with Python-Markdown, configured per language.

One converter per language is kept and reset between documents: building a Markdown
instance with its extensions costs more than converting a short post.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass
from re import _constants as _sre  # type: ignore[attr-defined]  # private, no stubs: the regex parser
from re import _parser as _sre_parse  # type: ignore[attr-defined]  # (see _sequence)

import markdown as pymarkdown
from markdown import inlinepatterns, treeprocessors, util

from blogsite.i18n import translate
from blogsite.typography import for_html, is_french

# The title of a footnote's link back to the text (Python-Markdown's default, translated).
BACKLINK = "Jump back to footnote %d in the text"
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
    has_more: bool = False  # whether the post holds more than its summary


_converters: dict[str, pymarkdown.Markdown] = {}


def _required(pattern: re.Pattern[str]) -> tuple[tuple[str, ...], ...]:
    """What any match of `pattern` must contain: for each tuple, at least one of its strings.

    Read from the parsed expression: runs of literal characters that every match consumes
    (inside lookarounds, optional parts or case-insensitive parts nothing is required).
    An empty answer means "no cheap test", never "cannot match".
    """
    try:
        parsed = _sre_parse.parse(pattern.pattern, pattern.flags)
    except Exception:  # noqa: BLE001 - an exotic pattern: no shortcut for it
        return ()
    if parsed.state.flags & re.IGNORECASE:
        return ()
    return tuple(_sequence(list(parsed)))


def _shortest(found: list[tuple[str, ...]]) -> tuple[str, ...]:
    """The first of the shortest (min(found, key=len), which mypy mistypes here)."""
    best = found[0]
    for words in found[1:]:
        if len(words) < len(best):
            best = words
    return best


def _sequence(items) -> list[tuple[str, ...]]:  # noqa: C901 - one branch per regex opcode
    reqs: list[tuple[str, ...]] = []
    run = ""
    for op, av in items:
        if op is _sre.LITERAL:
            run += chr(av)
            continue
        if op in (_sre.MAX_REPEAT, _sre.MIN_REPEAT, _sre.POSSESSIVE_REPEAT):
            low, high, sub = av
            sub = list(sub)
            if low >= 1 and len(sub) == 1 and sub[0][0] is _sre.LITERAL:
                run += chr(sub[0][1]) * low
                if high != low:
                    reqs, run = _flush(reqs, run)
                continue
            reqs, run = _flush(reqs, run)
            if low >= 1:
                reqs.extend(_sequence(sub))
            continue
        reqs, run = _flush(reqs, run)
        if op is _sre.SUBPATTERN:
            _group, add_flags, _del_flags, sub = av
            if not add_flags & re.IGNORECASE:
                reqs.extend(_sequence(list(sub)))
        elif op is _sre.ATOMIC_GROUP:
            reqs.extend(_sequence(list(av)))
        elif op is _sre.BRANCH:
            alternatives: list[str] = []
            for branch in av[1]:
                words = _sequence(list(branch))
                if not words:
                    break
                alternatives.extend(_shortest(words))
            else:
                reqs.append(tuple(alternatives))
        elif op is _sre.IN:
            if all(iop is _sre.LITERAL for iop, _ in av) and 0 < len(av) <= 8:
                reqs.append(tuple(chr(c) for _, c in av))
        # anything else (classes, categories, lookarounds, anchors, back-references)
        # consumes nothing known: no requirement.
    reqs, run = _flush(reqs, run)
    return reqs


def _flush(reqs: list[tuple[str, ...]], run: str) -> tuple[list[tuple[str, ...]], str]:
    if run:
        reqs.append((run,))
    return reqs, ""


class _Patterns:
    """One inline processor's patterns, with what each needs to find in a text to match."""

    def __init__(self, registry) -> None:
        self.size = len(registry)
        self.items: list[tuple[object, re.Pattern[str] | None]] = []
        required: list[tuple[tuple[str, ...], ...] | None] = []
        for pattern in registry:
            if isinstance(pattern, inlinepatterns.InlineProcessor):
                regex = pattern.getCompiledRegExp()
                required.append(_required(regex))
            else:  # an old-style pattern: always tried, as the stock loop does
                regex = None
                required.append(None)
            self.items.append((pattern, regex))
        self.required = required
        self.needles = tuple(sorted({n for r in required if r for alts in r for n in alts}))
        self.memo: dict[frozenset[str], list[int]] = {}

    def candidates(self, data: str) -> list[int]:
        """Indices of the patterns that may match somewhere in `data`, in order."""
        present = frozenset([n for n in self.needles if n in data])
        found = self.memo.get(present)
        if found is None:
            found = self.memo[present] = [
                i
                for i, req in enumerate(self.required)
                if req is None or all(any(n in present for n in alts) for alts in req)
            ]
        return found


class _FastInline(treeprocessors.InlineProcessor):
    """Python-Markdown's inline processor, minus its cost on patterns that cannot match.

    The stock loop calls a heavy Python method for every (text node, pattern) pair, and
    almost every pair does not match: with smarty, 33 patterns on ~90 text nodes per post,
    most of a conversion's time. Here a pattern is skipped when the text lacks a literal
    that every match contains, or when the pattern's regular expression finds nothing from
    the current index: exactly the cases where the stock method returns "no match" (it
    runs the same `finditer(data, start)` first). Everything else goes through the stock
    method, so the output is identical (tests/test_cache.py compares both).
    """

    def run(self, tree, ancestors=None):
        table = getattr(self, "_fast_table", None)
        if table is None or table.size != len(self.inlinePatterns):
            self._fast_table = _Patterns(self.inlinePatterns)
        return super().run(tree, ancestors)

    def _InlineProcessor__handleInline(self, data: str, patternIndex: int = 0) -> str:  # noqa: N802
        if isinstance(data, util.AtomicString):
            return data
        table = self._fast_table
        items = table.items
        apply = self._InlineProcessor__applyPattern  # type: ignore[attr-defined]  # Markdown's private method, reused as is
        candidates = table.candidates(data)
        k = bisect_left(candidates, patternIndex)
        start = 0
        while k < len(candidates):
            index = candidates[k]
            pattern, regex = items[index]
            if regex is not None and regex.search(data, start) is None:
                k += 1
                start = 0
                continue
            data, matched, start = apply(pattern, data, index, start)
            if matched:
                # The text changed, and with it what may match. The same pattern goes on
                # from `start` if it still may match, as in the stock loop.
                candidates = table.candidates(data)
                k = bisect_left(candidates, index)
                if k >= len(candidates) or candidates[k] != index:
                    start = 0
            else:
                k += 1
                start = 0
        return data


def _speed_up(md: pymarkdown.Markdown) -> None:
    """Swap the stock inline processors for _FastInline when this Python-Markdown has the
    private methods it relies on (3.x); otherwise keep the stock ones."""
    base = treeprocessors.InlineProcessor
    needed = ("_InlineProcessor__handleInline", "_InlineProcessor__applyPattern")
    if not all(hasattr(base, name) for name in needed):
        return
    for proc in md.treeprocessors:
        if type(proc) is base:
            proc.__class__ = _FastInline


FAST_INLINE = True  # tests switch it off to compare with the stock processor


def _converter(lang: str) -> pymarkdown.Markdown:
    key = lang.lower().split("-")[0]
    md = _converters.get(key)
    if md is None:
        # Extension objects rather than names: a name makes Python-Markdown read every
        # installed package's entry points first, the slowest part of starting up.
        from markdown.extensions.abbr import AbbrExtension
        from markdown.extensions.attr_list import AttrListExtension
        from markdown.extensions.codehilite import CodeHiliteExtension
        from markdown.extensions.def_list import DefListExtension
        from markdown.extensions.fenced_code import FencedCodeExtension
        from markdown.extensions.footnotes import FootnoteExtension
        from markdown.extensions.sane_lists import SaneListExtension
        from markdown.extensions.smarty import SmartyExtension
        from markdown.extensions.tables import TableExtension
        from markdown.extensions.toc import TocExtension

        md = pymarkdown.Markdown(
            extensions=[
                FencedCodeExtension(),
                CodeHiliteExtension(css_class="highlight", guess_lang=False),
                TableExtension(),
                FootnoteExtension(UNIQUE_IDS=False, BACKLINK_TITLE=translate(BACKLINK, key)),
                TocExtension(permalink=False, toc_depth="2-4"),
                SmartyExtension(substitutions=_QUOTES.get(key, {})),
                AttrListExtension(),
                DefListExtension(),
                AbbrExtension(),
                SaneListExtension(),
            ],
            output_format="html",
        )
        if FAST_INLINE:
            _speed_up(md)
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
        has_more = bool(parts[1].strip())
    else:
        m = re.search(r"<p>.*?</p>", html, re.S)
        summary = m.group(0) if m else ""
        has_more = bool((html[: m.start()] + html[m.end() :]).strip() if m else html.strip())
    # Footnote references in a summary would point at notes that are not on the page.
    summary = re.sub(r'<sup id="fnref[^"]*">.*?</sup>', "", summary, flags=re.S)
    md.reset()
    # A code block wider than the screen scrolls: keyboard users must be able to reach it.
    html = for_html(html, lang).replace("<pre>", '<pre tabindex="0">')
    summary = for_html(summary, lang)
    return Rendered(html, toc if '<li' in toc else "", summary, has_more)


def render_inline(text: str, lang: str) -> str:
    """Markdown for a one-paragraph field (a summary) without the wrapping <p>."""
    md = _converter(lang)
    md.reset()
    html = md.convert(text)
    md.reset()
    html = re.sub(r"^<p>(.*)</p>$", r"\1", html.strip(), flags=re.S)
    return for_html(html, lang)


__all__ = ["render_markdown", "render_inline", "Rendered", "is_french"]
