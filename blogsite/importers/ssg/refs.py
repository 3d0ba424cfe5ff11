"""Links between posts: `{{< ref >}}`, `{% post_url %}`, `{filename}`, `@/` resolved to the
posts' blogsite URLs."""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field

from blogsite.importers.ssg.model import SourceDoc


def _keys(rel: str) -> list[str]:
    """The names a content file can be referred to by: path, path without extension, name."""
    stem = rel.rsplit(".", 1)[0] if "." in rel.rsplit("/", 1)[-1] else rel
    base = stem.rsplit("/", 1)[-1]
    keys = [rel, stem, rel.rsplit("/", 1)[-1], base]
    if base in ("index", "_index") and "/" in stem:
        keys.append(stem.rsplit("/", 1)[0])  # a Hugo page bundle by its folder
    return keys


@dataclass
class Refs:
    """Source references -> new site-relative URLs."""

    urls: dict[str, str] = field(default_factory=dict)

    def add(self, doc: SourceDoc, url: str) -> None:
        for key in _keys(doc.rel):
            self.urls.setdefault(key.lower(), url)

    def resolve(self, reference: str, relative_to: str = "") -> str | None:
        """The URL of a referenced post, `#anchor` kept; None when no post matches."""
        target, hash_, anchor = reference.strip().strip("\"'").partition("#")
        target = target.strip()
        if not target:
            return f"#{anchor}" if hash_ else None
        candidates = [target.lstrip("/")]
        if relative_to and not target.startswith("/"):
            joined = posixpath.normpath(posixpath.join(posixpath.dirname(relative_to), target))
            candidates.insert(0, joined.lstrip("/"))
        for candidate in candidates:
            for key in _keys(candidate.rstrip("/")):
                url = self.urls.get(key.lower())
                if url is not None:
                    return url + (f"#{anchor}" if hash_ else "")
        return None
