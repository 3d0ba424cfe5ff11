"""The text of an announcement, per network, from a template over the post's fields.

Every network counts length its own way, so composing takes the network's `measure` function
and limit (declared by each network in `networks/`). When the full text does not fit, hashtags go
first, then the teaser is cut at a word boundary with "…", then the title; the URL is never
cut. Nothing here depends on the clock or on chance: the same post always gives the same
text, which is what lets a retry be recognised as one.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grapheme

from blogsite.errors import BlogsiteError, Problem

TEMPLATE_FIELDS = ("title", "teaser", "url", "tags", "hashtags")

# Title, teaser and link, each on its own paragraph; hashtags last, so that they are the
# first thing to go when space runs out. The same on every network unless its table has a
# `template`.
DEFAULT_TEMPLATE = "{title}\n\n{teaser}\n\n{url}\n\n{hashtags}"

ELLIPSIS = "…"
# Link cards (Bluesky's app.bsky.embed.external) take a description of this many graphemes.
CARD_DESCRIPTION_GRAPHEMES = 300

Measure = Callable[[str], int]


class TooLong(BlogsiteError):
    """Even the shortest form of the announcement does not fit the network's limit."""


def _graphemes(text: str) -> int:
    return int(grapheme.length(text))


# -- fields ------------------------------------------------------------------------------------


def clean(text: str) -> str:
    """One line of normalised text: teasers come from Markdown paragraphs."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", text or "")).strip()


def hashtag(tag: str) -> str | None:
    """"machine learning" -> "#MachineLearning"; None when the tag cannot be a hashtag
    without changing its meaning ("C++", "node.js") or is only digits ("2024")."""
    tag = unicodedata.normalize("NFC", tag).strip().lstrip("#")
    words = [w for w in re.split(r"[\s_-]+", tag) if w]
    if not words or not all(re.fullmatch(r"\w+", w) for w in words):
        return None
    if len(words) == 1:
        body = words[0]
    else:
        # CamelCase lets screen readers read multi-word hashtags as words.
        body = "".join(w[0].upper() + w[1:] for w in words)
    if not any(ch.isalpha() for ch in body):
        return None
    return "#" + body


def hashtags(tags: Sequence[str]) -> list[str]:
    out: list[str] = []
    seen: set[str] = set()
    for tag in tags:
        h = hashtag(tag)
        if h and h.casefold() not in seen:
            seen.add(h.casefold())
            out.append(h)
    return out


def render(template: str, values: dict[str, str]) -> str:
    """Fill `template`; blank fields leave no blank paragraphs or double spaces behind."""
    text = re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), m.group(0)), template)
    lines = [re.sub(r"[ \t]{2,}", " ", line).strip() for line in text.split("\n")]
    text = "\n".join(lines)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip()


# -- cutting -----------------------------------------------------------------------------------


def _is_wide(ch: str) -> bool:
    return unicodedata.east_asian_width(ch) in ("W", "F")


def _cut_points(text: str) -> list[int]:
    """Indexes where `text` may be cut: before a space, or between two graphemes when one
    of them is CJK (those scripts do not separate words with spaces)."""
    points = []
    pos = 0
    previous = ""
    for g in grapheme.graphemes(text):
        wide = _is_wide(g[0]) or _is_wide(previous[0]) if previous else False
        if pos and (g.isspace() or (wide and not previous.isspace())):
            points.append(pos)
        pos += len(g)
        previous = g
    return points


def shorten(text: str, cut: int) -> str:
    """`text[:cut]` ending cleanly with an ellipsis, or "" when nothing meaningful is left."""
    head = text[:cut].rstrip()
    # "word,…" and "word.…" read badly; the ellipsis replaces the punctuation.
    head = re.sub(r"[\s,;:.!?…\-–—(\[«“‘\"']+$", "", head)
    return head + ELLIPSIS if head else ""


def _fit(
    value: str, build: Callable[[str], str], fits: Callable[[str], bool]
) -> tuple[str, str] | None:
    """The longest cut of `value` whose text fits, as (cut value, text); None if none fits.

    Length grows with the kept prefix, so a binary search over the cut points finds it.
    """
    points = _cut_points(value)
    lo, hi = 0, len(points) - 1
    best: tuple[str, str] | None = None
    while lo <= hi:
        mid = (lo + hi) // 2
        short = shorten(value, points[mid])
        text = build(short)
        if short and fits(text):
            best = (short, text)
            lo = mid + 1
        else:
            hi = mid - 1
    return best


@dataclass(frozen=True)
class Composed:
    text: str
    length: int
    limit: int
    title: str
    teaser: str
    hashtags: tuple[str, ...]


def compose(
    template: str,
    *,
    title: str,
    teaser: str,
    url: str,
    tags: Sequence[str],
    measure: Measure,
    limit: int,
) -> Composed:
    """The announcement text: as much of the template as fits `limit` by `measure`."""
    title = clean(title)
    teaser = clean(teaser)
    if teaser and clean(teaser).rstrip(".…") == title.rstrip(".…"):
        teaser = ""  # a summary equal to the title would say it twice
    tags = [clean(t) for t in tags if clean(t)]
    tag_list = hashtags(tags)

    def build(t: str, s: str, n: int) -> str:
        return render(
            template,
            {
                "title": t,
                "teaser": s,
                "url": url,
                "tags": ", ".join(tags[:n]),
                "hashtags": " ".join(tag_list[:n]),
            },
        )

    def fits(text: str) -> bool:
        return measure(text) <= limit

    def done(text: str, t: str, s: str, n: int) -> Composed:
        return Composed(text, measure(text), limit, t, s, tuple(tag_list[:n]))

    n = max(len(tags), len(tag_list))
    # Hashtags are "if room": drop them from the end first.
    for count in range(n, -1, -1):
        text = build(title, teaser, count)
        if fits(text):
            return done(text, title, teaser, count)
    found = _fit(teaser, lambda s: build(title, s, 0), fits) if teaser else None
    if found:
        return done(found[1], title, found[0], 0)
    text = build(title, "", 0)
    if fits(text):
        return done(text, title, "", 0)
    found = _fit(title, lambda t: build(t, "", 0), fits) if title else None
    if found:
        return done(found[1], found[0], "", 0)
    text = build("", "", 0)
    if fits(text):
        return done(text, "", "", 0)
    raise _too_long(limit, measure(text))


def _too_long(limit: int, link_alone: int) -> TooLong:
    return TooLong(
        Problem(
            "site.toml",
            f"the announcement does not fit in {limit} characters even without title and "
            f"teaser ({link_alone} with the link alone)",
            "shorten the template in [social.*] or the site URL",
        )
    )


# -- the announcement of one post on one network ----------------------------------------------


@dataclass(frozen=True)
class Announcement:
    network: str
    text: str
    length: int
    limit: int
    url: str  # absolute URL of the post
    lang: str
    title: str  # full title and teaser, for link cards
    description: str
    hashtags: tuple[str, ...] = ()
    image: Path | None = None  # local file for a card thumbnail, when there is one
    extra: dict[str, Any] = field(default_factory=dict)


def post_url(config: Any, post: Any) -> str:
    return config.base_url + post.url.lstrip("/")


def card_description(teaser: str) -> str:
    teaser = clean(teaser)
    if _graphemes(teaser) <= CARD_DESCRIPTION_GRAPHEMES:
        return teaser
    found = _fit(teaser, lambda s: s, lambda s: _graphemes(s) <= CARD_DESCRIPTION_GRAPHEMES)
    return found[0] if found else ""


def local_image(config: Any, post: Any, output_dir: Path | None = None) -> Path | None:
    """The post's image as a file of the built site, if it is one of ours and exists.

    Remote images are never fetched: publishing must not depend on a third-party host.
    """
    image = (post.image or "").strip()
    if not image:
        return None
    if re.match(r"^[a-z]+://", image):
        if not image.startswith(config.base_url):
            return None
        image = image[len(config.base_url) :]
    image = image.split("?", 1)[0].split("#", 1)[0].lstrip("/")
    if not image or ".." in Path(image).parts:
        return None
    candidates = []
    if output_dir is not None:
        candidates.append(output_dir / image)
    candidates += [config.root / "static" / image, config.root / image]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    return None


def announcement(
    network: str,
    config: Any,
    post: Any,
    *,
    measure: Measure,
    limit: int,
    output_dir: Path | None = None,
) -> Announcement:
    """Compose the announcement of `post` for `network` with that network's ruler."""
    section = config.social.get(network)
    template = (getattr(section, "template", "") or "") or DEFAULT_TEMPLATE
    url = post_url(config, post)
    composed = compose(
        template,
        title=post.title,
        teaser=post.teaser,
        url=url,
        tags=post.tags,
        measure=measure,
        limit=limit,
    )
    return Announcement(
        network=network,
        text=composed.text,
        length=composed.length,
        limit=limit,
        url=url,
        lang=post.lang,
        title=clean(post.title),
        description=card_description(post.teaser),
        hashtags=composed.hashtags,
        image=local_image(config, post, output_dir),
    )
