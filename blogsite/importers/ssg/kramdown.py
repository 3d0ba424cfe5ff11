"""kramdown's extras (Jekyll's Markdown): `{:toc}` becomes `[TOC]`, attribute lists go.

Python-Markdown's attr_list would read kramdown's `{: ...}` lists, and Liquid mistaken for
one turns into broken HTML: they are removed (the classes they set belong to the old theme).
"""

from __future__ import annotations

import re

_TOC_RE = re.compile(r"^[ \t]*(?:[*+-]|1\.)[ \t]+[^\n]*\n[ \t]*\{:[ \t]*\.?toc[ \t]*\}[ \t]*$", re.M)
_LONE_TOC_RE = re.compile(r"^[ \t]*\{:[ \t]*\.?toc[ \t]*\}[ \t]*$", re.M)
_COMMENT_RE = re.compile(r"\{::comment\}.*?\{:/(?:comment)?\}", re.S)
_OPTIONS_RE = re.compile(r"\{::options\b[^}]*/\}")
_NOMARKDOWN_RE = re.compile(r"\{::nomarkdown\}|\{:/(?:nomarkdown)?\}")
_IAL_LINE_RE = re.compile(r"^[ \t]*\{:(?!:)[^}\n]*\}[ \t]*\n?", re.M)
_IAL_INLINE_RE = re.compile(r"[ \t]*\{:(?!:)[^}\n]*\}")


def convert_kramdown(text: str) -> str:
    """`text` (code already set aside) without kramdown's own syntax."""
    text = _TOC_RE.sub("[TOC]", text)
    text = _LONE_TOC_RE.sub("[TOC]", text)
    text = _COMMENT_RE.sub("", text)
    text = _OPTIONS_RE.sub("", text)
    text = _NOMARKDOWN_RE.sub("", text)
    text = _IAL_LINE_RE.sub("", text)
    return _IAL_INLINE_RE.sub("", text)
