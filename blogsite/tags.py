"""One spelling per tag: `Twitter` and `twitter` (same slug) are one tag, spelt alike on
its page, on every post, in feeds and in announcements' hashtags."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from blogsite.errors import Problem, display_path
from blogsite.post import Post, replace_fields

MAX_NAMED = 5  # files named in a warning; the others are counted


def _spellings(posts: Iterable[Post]) -> dict[str, Counter[str]]:
    from blogsite.site import tag_slug

    found: dict[str, Counter[str]] = {}
    for post in posts:
        for name in post.tags:
            found.setdefault(tag_slug(name), Counter())[name] += 1
    return found


def _chosen(counts: Counter[str]) -> str:
    """The spelling most posts use; on a tie, the first in alphabetical order."""
    return min(counts, key=lambda name: (-counts[name], name))


def _warning(name: str, chosen: str, files: list[str]) -> Problem:
    named = ", ".join(files[:MAX_NAMED])
    if len(files) > MAX_NAMED:
        named += f" and {len(files) - MAX_NAMED} more"
    return Problem(
        files[0],
        f"tag `{name}` is spelt `{chosen}` by other posts: it is shown as `{chosen}` "
        f"everywhere (`{name}` is used in {named})",
        f"write `{chosen}` in the `tags` of these files, or the same other spelling in all",
        warning=True,
    )


def unify(posts: list[Post], problems: list[Problem]) -> list[Post]:
    """The posts with each tag in its chosen spelling; a warning per other spelling, naming
    the files that use it."""
    from blogsite.site import tag_slug

    chosen = {slug: _chosen(c) for slug, c in _spellings(posts).items() if len(c) > 1}
    if not chosen:
        return posts
    others: dict[str, list[str]] = {}
    result = []
    for post in posts:
        names = tuple(dict.fromkeys(chosen.get(tag_slug(name), name) for name in post.tags))
        if names == post.tags:
            result.append(post)
            continue
        for name in post.tags:
            if name != chosen.get(tag_slug(name), name):
                others.setdefault(name, []).append(display_path(post.source))
        result.append(replace_fields(post, {"tags": names}))
    for name, files in others.items():
        problems.append(_warning(name, chosen[tag_slug(name)], files))
    return result
