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
