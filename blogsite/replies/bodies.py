"""What a stranger wrote, as safe HTML: sanitized with nh3's allow-list and capped in length.

Mastodon serves HTML; Bluesky plain text with facets (byte ranges that are links, mentions or
tags); X plain text (HTML-escaped) with entities. Each becomes a fragment of paragraphs and
links, then goes through the same sanitizer, so a hostile server cannot get a script, an event
handler or a `javascript:` link onto the post page.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import nh3

MAX_CHARS = 5000
TAGS = {"p", "br", "a", "blockquote", "em", "strong", "b", "i", "code", "pre", "ul", "ol", "li"}
ATTRIBUTES = {"a": {"href"}}
SCHEMES = {"http", "https"}
LINK_REL = "nofollow ugc noopener noreferrer"
READ_MORE = {"fr": "Lire la suite sur {network}", "en": "Read more on {network}"}


def clean(fragment: str) -> str:
    """The allow-listed part of an HTML fragment: paragraphs, line breaks, emphasis, links
    (http/https only, rel="nofollow ugc"); scripts and styles go with their content."""
    return nh3.clean(
        fragment, tags=TAGS, attributes=ATTRIBUTES, url_schemes=SCHEMES, link_rel=LINK_REL
    ).strip()


def text_of(fragment: str) -> str:
    """The visible text of a fragment (for length and for one-line summaries)."""
    spaced = re.sub(r"(?i)<(br|/p|/li|/blockquote)\b[^>]*>", " ", fragment)
    return html.unescape(nh3.clean(spaced, tags=set())).strip()


def capped(fragment: str, url: str, network: str, lang: str) -> str:
    """`fragment` cleaned; past MAX_CHARS of text, the text cut there and a link to the rest."""
    body = clean(fragment)
    text = text_of(body)
    if len(text) <= MAX_CHARS:
        return body
    cut = text[:MAX_CHARS].rstrip() + "…"
    words = READ_MORE.get(lang.split("-")[0].lower(), READ_MORE["en"]).format(network=network)
    more = f'<p><a href="{html.escape(url)}">{html.escape(words)}</a></p>' if url else ""
    return clean(paragraphs(cut) + more)


def paragraphs(text: str) -> str:
    """Plain text as paragraphs: blank lines split them, single newlines are <br>."""
    parts = [p.strip("\n") for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]
    return "".join("<p>" + html.escape(p, quote=False).replace("\n", "<br>") + "</p>" for p in parts)


@dataclass(frozen=True)
class Span:
    """A stretch of the text that becomes a link (start and end in the text's own units)."""

    start: int
    end: int
    href: str
    shown: str = ""  # replaces the stretch's text when set (X's t.co links)


def linked(pieces: Iterable[tuple[str, Span | None]]) -> str:
    """Paragraphs from (text, link-or-None) pieces; links never span paragraphs' markup."""
    marker_open, marker_close = "\ue000", "\ue001"
    raw: list[str] = []
    hrefs: list[str] = []
    for text, span in pieces:
        if span is None:
            raw.append(text)
        else:
            hrefs.append(span.href)
            raw.append(f"{marker_open}{len(hrefs) - 1}{marker_close}{span.shown or text}{marker_open}")
    out = paragraphs("".join(raw).replace("\r\n", "\n"))

    def link(match: re.Match[str]) -> str:
        href = html.escape(hrefs[int(match.group(1))])
        return f'<a href="{href}">{match.group(2)}</a>'

    out = re.sub(f"{marker_open}(\\d+){marker_close}(.*?){marker_open}", link, out, flags=re.S)
    return out.replace(marker_open, "").replace(marker_close, "")


def mastodon_body(content: str) -> str:
    return clean(content)


def bluesky_body(text: str, facets: list[dict[str, Any]]) -> str:
    """Bluesky's text with its facets as links: link facets to their URI, mentions to the
    profile, tags to the tag's page. Offsets are UTF-8 byte offsets."""
    data = text.encode("utf-8")
    spans = sorted(
        (s for s in (_facet_span(f, len(data)) for f in facets) if s is not None),
        key=lambda s: s.start,
    )
    pieces: list[tuple[str, Span | None]] = []
    at = 0
    for span in spans:
        if span.start < at:
            continue  # overlapping facets: the first wins
        pieces.append((data[at : span.start].decode("utf-8", "replace"), None))
        pieces.append((data[span.start : span.end].decode("utf-8", "replace"), span))
        at = span.end
    pieces.append((data[at:].decode("utf-8", "replace"), None))
    return clean(linked(pieces))


def _facet_span(facet: dict[str, Any], size: int) -> Span | None:
    index = facet.get("index") or {}
    start, end = index.get("byteStart"), index.get("byteEnd")
    if not isinstance(start, int) or not isinstance(end, int) or not 0 <= start < end <= size:
        return None
    for feature in facet.get("features") or []:
        kind = str(feature.get("$type") or feature.get("py_type") or "")
        if kind.endswith("#link") and feature.get("uri"):
            return Span(start, end, str(feature["uri"]))
        if kind.endswith("#mention") and feature.get("did"):
            return Span(start, end, f"https://bsky.app/profile/{feature['did']}")
        if kind.endswith("#tag") and feature.get("tag"):
            return Span(start, end, f"https://bsky.app/hashtag/{feature['tag']}")
    return None


def x_body(text: str, entities: dict[str, Any]) -> str:
    """X's text (HTML-escaped by the API) with t.co links expanded, mentions and hashtags
    linked; the run of @mentions X puts before every reply is left out, as X shows it."""
    plain = html.unescape(text)
    plain = re.sub(r"^(?:@\w{1,15}\s+)+", "", plain)
    spans: list[tuple[int, int, Span]] = []
    for found in entities.get("urls") or []:
        short, full = str(found.get("url") or ""), str(found.get("expanded_url") or "")
        at = plain.find(short) if short else -1
        if at >= 0 and full:
            spans.append((at, at + len(short), Span(at, at + len(short), full, _shown_url(full))))
    for match in re.finditer(r"(?<!\w)@(\w{1,15})|(?<![\w&])#(\w+)", plain):
        href = (
            f"https://x.com/{match.group(1)}"
            if match.group(1)
            else f"https://x.com/hashtag/{match.group(2)}"
        )
        spans.append((match.start(), match.end(), Span(match.start(), match.end(), href)))
    pieces: list[tuple[str, Span | None]] = []
    at = 0
    for start, end, span in sorted(spans, key=lambda s: s[0]):
        if start < at:
            continue
        pieces += [(plain[at:start], None), (plain[start:end], span)]
        at = end
    pieces.append((plain[at:], None))
    return clean(linked(pieces))


def _shown_url(url: str) -> str:
    shown = re.sub(r"^https?://(www\.)?", "", url)
    return shown if len(shown) <= 40 else shown[:39] + "…"
