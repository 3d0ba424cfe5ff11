"""Hugo shortcodes turned into Markdown or plain HTML: figure, youtube, vimeo, gist,
highlight, ref/relref, tweet; any other kept visibly in a code span."""

from __future__ import annotations

import re
from collections.abc import Callable

from blogsite.importers.ssg.model import SourceDoc
from blogsite.importers.ssg.refs import Refs
from blogsite.importers.ssg.shortcodes import (
    Conversion,
    Protected,
    alone_on_line,
    code_span,
    fenced,
    figure_html,
    gist_markdown,
    image_markdown,
    parse_args,
    video_html,
)

_HIGHLIGHT_RE = re.compile(
    r"\{\{[<%]-?\s*highlight\s+([^>%]*?)\s*-?[>%]\}\}\n?(.*?)\{\{[<%]-?\s*/highlight\s*-?[>%]\}\}", re.S
)
_COMMENTED_RE = re.compile(r"\{\{([<%])/\*\s*(.*?)\s*\*/([>%])\}\}", re.S)
_SHORTCODE_RE = re.compile(r"\{\{([<%])-?\s*(/?)\s*([\w./-]+)(.*?)-?\s*([>%])\}\}", re.S)

Handler = Callable[[list[str], dict[str, str], bool], str | None]


def _figure(pos: list[str], named: dict[str, str], block: bool) -> str | None:
    src = named.get("src") or (pos[0] if pos else "")
    if not src:
        return None
    alt, caption = named.get("alt", ""), named.get("caption", "") or named.get("title", "")
    if block:
        return figure_html(src, alt, caption, named.get("link", ""))
    return image_markdown(src, alt or caption, named.get("title", ""))


def _video(service: str) -> Handler:
    def handler(pos: list[str], named: dict[str, str], block: bool) -> str | None:
        video_id = named.get("id") or (pos[0] if pos else "")
        return video_html(service, video_id, block) if video_id else None

    return handler


def _gist(pos: list[str], named: dict[str, str], block: bool) -> str | None:
    if len(pos) < 2:
        return None
    return gist_markdown(pos[0], pos[1], pos[2] if len(pos) > 2 else "")


def _tweet(pos: list[str], named: dict[str, str], block: bool) -> str | None:
    user, tweet_id = named.get("user", ""), named.get("id") or (pos[-1] if pos else "")
    if not tweet_id.isdigit():
        return None
    url = f"https://x.com/{user or 'i/web'}/status/{tweet_id}"
    return f"[Post on X]({url})"


HANDLERS: dict[str, Handler] = {
    "figure": _figure,
    "youtube": _video("youtube"),
    "vimeo": _video("vimeo"),
    "gist": _gist,
    "tweet": _tweet,
    "x": _tweet,
}


def convert_hugo(doc: SourceDoc, refs: Refs) -> Conversion:
    """The post's body with Hugo's shortcodes converted; unknown ones in code spans."""
    kept = Protected()
    unknown: list[str] = []
    text = _HIGHLIGHT_RE.sub(lambda m: kept.keep(fenced(m.group(2), _first_word(m.group(1)))), doc.body)
    text = kept.protect_code(text)
    text = _COMMENTED_RE.sub(
        lambda m: kept.keep(code_span("{{" + m.group(1) + " " + m.group(2) + " " + m.group(3) + "}}")), text
    )

    def replace(m: re.Match[str]) -> str:
        found = _one(m, text, doc, refs)
        if found is None:
            unknown.append(" ".join(m.group(0).split()))
            return kept.keep(code_span(" ".join(m.group(0).split())))
        return found

    text = _SHORTCODE_RE.sub(replace, text)
    return Conversion(kept.restore(text), unknown)


def _first_word(text: str) -> str:
    words = text.split()
    return words[0].strip("\"'") if words else ""


def _one(m: re.Match[str], text: str, doc: SourceDoc, refs: Refs) -> str | None:
    closing, name, args = m.group(2), m.group(3).lower(), m.group(4)
    if closing:
        return None
    pos, named = parse_args(args)
    if name in ("ref", "relref"):
        target = pos[0] if pos else named.get("path", "")
        return refs.resolve(target, doc.rel) if target else None
    handler = HANDLERS.get(name)
    if handler is None:
        return None
    return handler(pos, named, alone_on_line(text, m.start(), m.end()))
