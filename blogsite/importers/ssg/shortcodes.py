"""Shared machinery for turning shortcodes and template tags into Markdown or plain HTML.

Code (fenced blocks and code spans) is set aside first, so examples of template syntax
that a post shows on purpose are never touched. A shortcode no converter knows is kept
visibly, inside a code span, and listed in the report: never half-rendered into HTML.
"""

from __future__ import annotations

import html
import re
import shlex
from dataclasses import dataclass, field

_FENCE_RE = re.compile(r"^([ \t]*)(`{3,}|~{3,})[^\n]*\n.*?^\1\2[ \t]*$", re.M | re.S)
_SPAN_RE = re.compile(r"(`+)(?!`).+?(?<!`)\1(?!`)", re.S)
_TOKEN_RE = re.compile("\x00(\\d+)\x00")


@dataclass
class Protected:
    """Text with its code set aside behind numbered tokens, restored by `restore`."""

    pieces: list[str] = field(default_factory=list)

    def keep(self, text: str) -> str:
        self.pieces.append(text)
        return f"\x00{len(self.pieces) - 1}\x00"

    def protect_code(self, text: str) -> str:
        text = _FENCE_RE.sub(lambda m: self.keep(m.group(0)), text)
        return _SPAN_RE.sub(lambda m: self.keep(m.group(0)), text)

    def restore(self, text: str) -> str:
        while "\x00" in text:
            text = _TOKEN_RE.sub(lambda m: self.pieces[int(m.group(1))], text)
        return text


@dataclass
class Conversion:
    """The converted body and the syntax left as it was."""

    body: str
    unknown: list[str] = field(default_factory=list)


def code_span(snippet: str) -> str:
    """`snippet` as a Markdown code span, whatever backticks it holds."""
    ticks = "`" * (max((len(t) for t in re.findall(r"`+", snippet)), default=0) + 1)
    pad = " " if snippet.startswith("`") or snippet.endswith("`") else ""
    return f"{ticks}{pad}{snippet}{pad}{ticks}"


def parse_args(text: str) -> tuple[list[str], dict[str, str]]:
    """Positional and named arguments of a shortcode: `a "b c" key="v" k2=v2`."""
    try:
        words = shlex.split(text.replace("\n", " "), posix=True)
    except ValueError:
        words = text.split()
    positional: list[str] = []
    named: dict[str, str] = {}
    for word in words:
        key, eq, value = word.partition("=")
        if eq and re.match(r"^[A-Za-z_][\w-]*$", key):
            named[key.lower()] = value
        else:
            positional.append(word)
    return positional, named


def alone_on_line(text: str, start: int, end: int) -> bool:
    """Whether text[start:end] has nothing else on its line(s)."""
    before = text[text.rfind("\n", 0, start) + 1 : start]
    after_end = text.find("\n", end)
    after = text[end : after_end if after_end >= 0 else len(text)]
    return not before.strip() and not after.strip()


def figure_html(src: str, alt: str = "", caption: str = "", link: str = "") -> str:
    """A figure as plain HTML, a block on its own lines."""
    img = f'<img src="{html.escape(src)}" alt="{html.escape(alt or caption)}">'
    if link:
        img = f'<a href="{html.escape(link)}">{img}</a>'
    cap = f"<figcaption>{html.escape(caption)}</figcaption>" if caption else ""
    return f"\n<figure>{img}{cap}</figure>\n"


def image_markdown(src: str, alt: str = "", title: str = "") -> str:
    alt_text = alt.replace("]", "\\]").replace("[", "\\[")
    title_part = f' "{title.replace(chr(34), "&quot;")}"' if title else ""
    return f"![{alt_text}]({src}{title_part})"


def video_html(service: str, video_id: str, block: bool) -> str:
    """A YouTube or Vimeo video: an embedded player on its own line, else a link."""
    safe = re.sub(r"[^\w-]", "", video_id)
    if service == "vimeo":
        page, embed = f"https://vimeo.com/{safe}", f"https://player.vimeo.com/video/{safe}"
    else:
        page = f"https://www.youtube.com/watch?v={safe}"
        embed = f"https://www.youtube-nocookie.com/embed/{safe}"
    name = "Vimeo" if service == "vimeo" else "YouTube"
    if not block:
        return f"[{name} video]({page})"
    return (
        f'\n<div class="video"><iframe src="{embed}" title="{name} video" loading="lazy"'
        f' allowfullscreen></iframe></div>\n\n<p><a href="{page}">{name} video</a></p>\n'
    )


def gist_markdown(user: str, gist_id: str, file: str = "") -> str:
    url = f"https://gist.github.com/{user}/{gist_id}" if user else f"https://gist.github.com/{gist_id}"
    label = f"{user}/{gist_id}" + (f" ({file})" if file else "")
    return f"[Gist {label}]({url})"


def fenced(code: str, language: str) -> str:
    """`code` as a fenced block, with a fence longer than any it holds."""
    longest = max((len(t) for t in re.findall(r"^`{3,}", code, flags=re.M)), default=2)
    fence = "`" * (longest + 1)
    lang = re.sub(r"[^\w+#.-]", "", language)
    return f"\n{fence}{lang}\n{code.strip(chr(10))}\n{fence}\n"
