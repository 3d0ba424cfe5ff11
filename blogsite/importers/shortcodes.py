"""WordPress post bodies before they are HTML: Gutenberg block comments, shortcodes, and the
blank-line paragraphs that WordPress's `wpautop` turns into <p> and <br />."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

_GUTENBERG = re.compile(r"<!--\s*/?wp:[^>]*?-->\n?")
_SHORTCODE = re.compile(r"\[(/?)([a-zA-Z][\w-]*)((?:\s[^\]]*)?)\]")
_ATTR = re.compile(r"""([\w-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|(\S+))""")
EMBEDS = ("embed", "video", "audio", "youtube", "vimeo")
_BLOCKS = (
    "table|thead|tfoot|caption|col|colgroup|tbody|tr|td|th|div|dl|dd|dt|ul|ol|li|pre|form|"
    "blockquote|address|math|style|p|h[1-6]|hr|fieldset|legend|section|article|aside|hgroup|"
    "header|footer|nav|figure|figcaption|details|menu|summary|iframe|video|audio|object"
)
_BLOCK_OPEN = re.compile(rf"(<(?:{_BLOCKS})[\s/>])", re.I)
_BLOCK_CLOSE = re.compile(rf"(</(?:{_BLOCKS})>)", re.I)
_STARTS_BLOCK = re.compile(rf"^</?(?:{_BLOCKS})[\s/>]", re.I)


@dataclass
class Shortcodes:
    """What the shortcode pass met: unknown ones (kept verbatim), by name."""

    unknown: dict[str, int] = field(default_factory=dict)


def attributes(text: str) -> dict[str, str]:
    return {m.group(1).lower(): next(g for g in m.groups()[1:] if g is not None)
            for m in _ATTR.finditer(text)}


def drop_gutenberg(text: str) -> str:
    """Block comments go; what they wrap stays."""
    return _GUTENBERG.sub("", text)


def _caption(attrs: dict[str, str], inner: str) -> str:
    image = re.search(r"<a\b[^>]*>\s*<img\b[^>]*>\s*</a>|<img\b[^>]*>", inner, re.I)
    media = image.group(0) if image else ""
    caption = (inner[: image.start()] + inner[image.end():]) if image else inner
    caption = caption.strip() or html.escape(attrs.get("caption", ""))
    return f"\n\n<figure>{media}<figcaption>{caption.strip()}</figcaption></figure>\n\n"


def _gallery(attrs: dict[str, str], images: dict[str, str], attached: list[str]) -> str | None:
    ids = [i.strip() for i in attrs.get("ids", attrs.get("include", "")).split(",") if i.strip()]
    urls = [images[i] for i in ids if i in images] if ids else list(attached)
    if not urls:
        return None
    return "\n\n" + "\n".join(f'<p><img src="{html.escape(u)}" alt=""></p>' for u in urls) + "\n\n"


def _link(url: str) -> str:
    url = html.escape(url.strip())
    return f'\n\n<p><a href="{url}">{url}</a></p>\n\n'


def expand(text: str, images: dict[str, str], attached: list[str], seen: Shortcodes) -> str:
    """[caption] to a figure, [gallery] to its images, [embed] and its kind to a link; any
    other shortcode is left as it is and counted in `seen`."""
    out: list[str] = []
    pos = 0
    for match in _SHORTCODE.finditer(text):
        if match.start() < pos:
            continue
        closing, name, raw = match.group(1), match.group(2).lower(), match.group(3)
        attrs = attributes(raw)
        end = re.compile(rf"\[/{re.escape(match.group(2))}\]", re.I).search(text, match.end())
        inner = text[match.end():end.start()] if end and not closing else ""
        after = end.end() if end and not closing else match.end()
        replacement = _replacement(name, attrs, inner, images, attached) if not closing else None
        if replacement is None:
            if _looks_like_shortcode(name, raw, end is not None):
                seen.unknown[name] = seen.unknown.get(name, 0) + (0 if closing else 1)
            continue
        out.append(text[pos:match.start()])
        out.append(replacement)
        pos = after
    out.append(text[pos:])
    return "".join(out)


def _replacement(name: str, attrs: dict[str, str], inner: str, images: dict[str, str],
                 attached: list[str]) -> str | None:
    if name in ("caption", "wp_caption"):
        return _caption(attrs, inner)
    if name == "gallery":
        return _gallery(attrs, images, attached)
    if name in EMBEDS:
        url = inner.strip() or attrs.get("src") or attrs.get("url") or attrs.get("mp4") or ""
        return _link(url) if re.match(r"^https?://\S+$", url) else None
    return None


def _looks_like_shortcode(name: str, raw: str, closed: bool) -> bool:
    """[sic] in a sentence is no shortcode; [contact-form-7 id="1"] is."""
    return bool(raw.strip()) or closed or "-" in name or "_" in name


def autop(text: str) -> str:
    """WordPress's wpautop, in short: blank lines make paragraphs, a single newline a <br />,
    around block elements nothing; <pre> is left alone; a URL alone on its line (an oEmbed,
    such as a video) becomes a link."""
    kept: list[str] = []

    def keep(match: re.Match[str]) -> str:
        kept.append(match.group(0))
        return f"\n\n<pre data-kept=\"{len(kept) - 1}\"></pre>\n\n"

    text = re.sub(r"<pre\b.*?</pre>", keep, text.replace("\r\n", "\n"), flags=re.S | re.I)
    text = re.sub(r"^[ \t]*(https?://[^\s<>\"]+)[ \t]*$", lambda m: _link(m.group(1)), text, flags=re.M)
    text = _BLOCK_CLOSE.sub(r"\n\n\1\n\n", _BLOCK_OPEN.sub(r"\n\n\1", text))
    out = []
    for chunk in re.split(r"\n\s*\n", text):
        chunk = chunk.strip()
        if not chunk:
            continue
        if _STARTS_BLOCK.match(chunk):
            out.append(chunk)
        else:
            out.append("<p>" + re.sub(r"\s*\n\s*", "<br />\n", chunk) + "</p>")
    result = "\n".join(out)
    return re.sub(r'<pre data-kept="(\d+)"></pre>', lambda m: kept[int(m.group(1))], result)
