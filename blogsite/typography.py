"""Language-specific typography applied to rendered HTML text (never inside code or tags).

French puts a no-break space before the high punctuation ; : ! ? and inside « », so that a
line never starts with a lone "?" or "»". Following the Imprimerie nationale convention, a
narrow no-break space (U+202F) goes before ; ! ? and inside « », a full one (U+00A0) before :.
"""

from __future__ import annotations

import re
from functools import lru_cache

NBSP = "\u00a0"
NNBSP = "\u202f"

_SKIP_TAGS = ("code", "pre", "kbd", "samp", "script", "style", "math")
_TOKENS = re.compile(r"(<!--.*?-->|<[^>]*>)", re.S)
_URL = re.compile(r"\b[a-z][a-z0-9+.-]*://\S+|\bwww\.\S+|&#?\w+;", re.I)
# Every rule below needs one of these characters (\x00 for the URL placeholders): a text
# without any is left as it is, which saves most of the work. Keep it in step with the rules.
_TRIGGERS = re.compile("[;:!?«»\x00]")


def _french_text(text: str) -> str:
    if not _TRIGGERS.search(text):
        return text
    # Protect URLs written as text and character entities: their ':', '?', '!' and ';'
    # are not punctuation.
    urls: list[str] = []

    def keep(m: re.Match[str]) -> str:
        urls.append(m.group(0))
        return f"\x00{len(urls) - 1}\x00"

    text = _URL.sub(keep, text)
    # Existing spaces before high punctuation become no-break spaces.
    text = _BEFORE_HIGH.sub(NNBSP + r"\1", text)
    text = _BEFORE_COLON.sub(NBSP + ":", text)
    text = _BEFORE_CLOSING.sub(NNBSP + r"\1", text)
    text = _AFTER_OPENING.sub(r"\1" + NNBSP, text)
    # "Non? Alors" -> "Non ? Alors": only after a letter and before a space or the end, so
    # smileys like ":p" or ";)" and times like 10:30 are left alone.
    text = _GLUED_HIGH.sub(NNBSP + r"\1", text)
    if not urls:
        return text
    return _PLACEHOLDER.sub(lambda m: urls[int(m.group(1))], text)


_BEFORE_HIGH = re.compile(r"[ \t\u00a0\u202f]+([;!?])")
_BEFORE_COLON = re.compile(r"[ \t\u00a0\u202f]+:(?=\s|$|\)|&nbsp;)")
_BEFORE_CLOSING = re.compile(r"[ \t\u00a0\u202f]+(»)")
_AFTER_OPENING = re.compile(r"(«)[ \t\u00a0\u202f]*")
_GLUED_HIGH = re.compile(r"(?<=[^\W\d_])([!?;]+)(?=\s|$)")
_PLACEHOLDER = re.compile(r"\x00(\d+)\x00")


def french_html(html: str) -> str:
    """Apply French typography to the text nodes of an HTML fragment."""
    if _HOLE in html or _SEP in html:
        # _french_nodes marks places with these two characters: a fragment that already holds
        # one (rendered Markdown never does) is typeset node by node.
        return _french_html_by_node(html)
    parts = _TOKENS.split(html)
    if not _MAYBE_SKIP.search(html):
        # No tag can open a skipped element: every text node is typeset.
        parts[0::2] = _french_nodes(parts[0::2])
        return "".join(parts)
    live = [0]  # where the text parts that _french_html_by_node typesets are (not in code...)
    skip_depth = 0
    for index in range(1, len(parts), 2):
        tag = _TAG.match(parts[index])
        if tag and tag.group(2).lower() in _SKIP_TAGS:
            skip_depth = max(skip_depth + (-1 if tag.group(1) else 1), 0)
        if not skip_depth:
            live.append(index + 1)
    for index, text in zip(live, _french_nodes([parts[i] for i in live]), strict=True):
        parts[index] = text
    return "".join(parts)


def _french_html_by_node(html: str) -> str:
    """french_html as it was first written (and as tests/test_typography.py keeps it)."""
    parts = _TOKENS.split(html)
    out: list[str] = []
    skip_depth = 0
    triggers = _TRIGGERS.search
    for index, part in enumerate(parts):
        if index % 2 == 1:
            tag = _TAG.match(part)
            if tag and tag.group(2).lower() in _SKIP_TAGS:
                skip_depth += -1 if tag.group(1) else 1
                skip_depth = max(skip_depth, 0)
            out.append(part)
        elif skip_depth or not part or not triggers(part):
            out.append(part)
        else:
            out.append(_french_text(part))
    return "".join(out)


# Node by node, a body's ten-odd paragraphs cost a dozen regular-expression calls each, and
# the slowest patterns try a look-behind or a word boundary at every character, or start
# afresh at every space. _french_nodes gives the same result with one pass per rule over all
# the nodes at once, joined by _SEP, each pass led by a rare literal where possible (the
# engine jumps from one occurrence to the next, while a set such as [!?;] is tested character
# by character).
#
# Why joining changes nothing: _SEP is whitespace to \s, so "(?=\s|$)" holds before it as at
# a node's end ($ otherwise only adds "before a last \n", which \s covers) and a URL's \S+
# stops at it; it is not a word character, so \b and the letter look-behind see it as a
# node's start; and no rule can match it (it is not one of _SPACES), so no match spans two
# nodes.
_SEP = "\x1f"
# A protected URL or entity becomes one _HOLE, not "\x00N\x00": no rule can match these
# characters, and the rules only ever look at a placeholder's first or last one, \x00 in both.
_HOLE = "\x00"
# Without "://" nor "www." (any case) in the text, _URL can only match this, its last branch.
_ENTITY = re.compile(r"&#?\w+;")
_WWW = re.compile(r"\.(?<=(?i:www)\.)")  # where _URL's "www." branch could match
_SPACES = " \t\u00a0\u202f"  # the rules' [ \t\u00a0\u202f]
_SPACES_AT_END = tuple(_SPACES)  # for str.endswith
_AFTER_COLON = re.compile(r"\s|$|\)|&nbsp;")  # _BEFORE_COLON's look-ahead
# Where _GLUED_HIGH could match: a mark right after a letter.
_GLUED_STARTS = tuple(re.compile(rf"\{c}(?<=[^\W\d_]\{c})") for c in "!?;")
# _GLUED_HIGH, with its look-behind tried after the first ! ? ; rather than everywhere. A
# match is a whole run of ! ? ; (a shorter one is followed by another mark, neither \s nor
# the end), so giving nothing back (*+) finds the same ones.
_GLUED_FAST = re.compile(r"([!?;](?<=[^\W\d_][!?;])[!?;]*+)(?=\s|$)")
# Found wherever _TAG (below) could name a skipped element, and in more places: the tag's
# name is ASCII, compared lower-cased.
_MAYBE_SKIP = re.compile(
    r"<\s*/?\s*(?:"
    + "|".join("".join(f"[{c}{c.upper()}]" for c in name) for name in _SKIP_TAGS)
    + ")"
)


def _french_nodes(texts: list[str]) -> list[str]:
    """[_french_text(t) for t in texts], for texts without _SEP or _HOLE."""
    text = _SEP.join(texts)
    if not _TRIGGERS.search(text):
        return texts
    # Texts without a trigger come out unchanged below too: a match of any rule needs one.
    protect = _URL if "://" in text or _WWW.search(text) else _ENTITY
    kept = protect.findall(text)
    if kept:
        text = protect.sub(_HOLE, text)
    for mark in ";!?":  # _BEFORE_HIGH
        if mark in text:
            text = _spaces_before(text, mark, NNBSP)
    if ":" in text:
        text = _spaces_before(text, ":", NBSP, colon=True)
    if "»" in text:
        text = _spaces_before(text, "»", NNBSP)
    if "«" in text:
        text = _AFTER_OPENING.sub(r"\1" + NNBSP, text)
    if any(start.search(text) for start in _GLUED_STARTS):
        # Python 3.11 expands a "\1" replacement in Python code, match by match: splitting at the
        # matches (kept by the group) and joining costs far less.
        pieces = _GLUED_FAST.split(text)
        pieces[1::2] = [NNBSP + marks for marks in pieces[1::2]]
        text = "".join(pieces)
    if kept:
        out = [""] * (2 * len(kept) + 1)
        out[0::2] = text.split(_HOLE)
        out[1::2] = kept
        text = "".join(out)
    return text.split(_SEP)


def _spaces_before(text: str, mark: str, space: str, colon: bool = False) -> str:
    """What _BEFORE_HIGH (one mark at a time), _BEFORE_CLOSING or _BEFORE_COLON does.

    Their patterns start at every space in the text, and most spaces are not before a mark.
    A match is always a whole run of _SPACES, the mark after it, and for a colon a look-ahead:
    it starts where the run does (from inside the run, the attempt fails as it did at its
    start) and cannot stop short (a shorter run is followed by a space, not the mark). So:
    split at the mark and trim the pieces that end in a run. Each run has one mark after it,
    so ; ! and ? can be done one after the other.
    """
    pieces = text.split(mark)
    last = len(pieces) - 1
    for index in range(last):
        piece = pieces[index]
        if not piece.endswith(_SPACES_AT_END):
            continue
        if colon:
            # `after` runs to the next colon: when it is empty, "$" holds only if no colon
            # follows. What else the look-ahead reads (one character, or "&nbsp;", which has
            # no colon) lies inside it.
            after = pieces[index + 1]
            if not (after or index + 1 == last) or not _AFTER_COLON.match(after):
                continue
        pieces[index] = piece.rstrip(_SPACES) + space
    return mark.join(pieces)


_TAG = re.compile(r"<\s*(/?)\s*([a-zA-Z0-9]+)")


def french_text(text: str) -> str:
    """Apply French typography to plain text (titles, summaries)."""
    return _french_text(text)


_DOUBLE_QUOTES = {"fr": ("«" + NNBSP, NNBSP + "»"), "de": ("„", "“")}


def smarten(text: str, lang: str) -> str:
    """The smart punctuation Markdown gives a body, for plain-text fields such as titles."""
    base = lang.lower().split("-")[0]
    text = re.sub(r"\.\.\.", "…", text)
    text = re.sub(r"(?<=\w)'(?=\w)", "’", text)
    text = re.sub(r"(?<!-)---(?!-)", "—", text)
    text = re.sub(r"(?<!-)--(?!-)", "–", text)
    left, right = _DOUBLE_QUOTES.get(base, ("“", "”"))
    text = re.sub(r'"([^"]+)"', lambda m: left + m.group(1).strip() + right, text)
    return text


def is_french(lang: str) -> bool:
    return lang.lower().split("-")[0] == "fr"


def for_html(html: str, lang: str) -> str:
    return french_html(html) if is_french(lang) else html


@lru_cache(maxsize=1 << 16)
def for_text(text: str, lang: str) -> str:
    """Smart punctuation and the language's spacing rules for a plain-text field (titles:
    the same few strings on many pages, hence the memo)."""
    text = smarten(text, lang)
    return french_text(text) if is_french(lang) else text
