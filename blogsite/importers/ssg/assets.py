"""Images and files a post uses: found in the source site, copied into static/, and the
post's links pointed at their new place."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

from blogsite.importers.ssg.model import Asset
from blogsite.importers.ssg.reading import MARKDOWN_SUFFIXES

_MD_LINK_RE = re.compile(r"(\]\(\s*<?)([^)\s>]+)")
_ATTR_RE = re.compile(r"(\b(?:src|href|poster)=[\"'])([^\"']+)")
_REF_DEF_RE = re.compile(r"(^[ ]{0,3}\[[^\]]+\]:[ \t]*<?)(\S+?)(?=>?(?:\s|$))", re.M)
_NOT_FILES = (".html", ".htm", *MARKDOWN_SUFFIXES)


@dataclass
class AssetFinder:
    """Resolves a post's local links to files of the source site."""

    roots: list[Path]  # where "/images/a.png" is looked for, in order
    site_root: Path
    enabled: bool = True  # --no-images: links are left as they are, nothing is copied
    found: list[Asset] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)

    def locate(self, target: str, doc_path: Path) -> Asset | None:
        parts = urlsplit(target)
        if parts.scheme or parts.netloc or target.startswith(("#", "mailto:", "data:")):
            return None
        path = unquote(parts.path)
        if not path or path.endswith("/") or path.lower().endswith(_NOT_FILES):
            return None
        places = [] if path.startswith("/") else [doc_path.parent / path]
        places += [root / path.lstrip("/") for root in self.roots]
        for place in places:
            if place.is_file():
                return Asset(place, self._target_of(place))
        if "." in path.rsplit("/", 1)[-1]:
            self.missing.append(target)
        return None

    def _target_of(self, file: Path) -> str:
        resolved = file.resolve()
        for root in [*self.roots, self.site_root]:
            try:
                return resolved.relative_to(root.resolve()).as_posix()
            except ValueError:
                continue
        return file.name

    def rewrite(self, body: str, doc_path: Path) -> str:
        """`body` with each link to a local file pointed at its copy under static/."""
        if not self.enabled:
            return body

        def one(m: re.Match[str]) -> str:
            target = m.group(2)
            asset = self.locate(target, doc_path)
            if asset is None:
                return m.group(0)
            self.found.append(asset)
            fragment = "#" + target.split("#", 1)[1] if "#" in target else ""
            return m.group(1) + "/" + asset.target + fragment

        for pattern in (_MD_LINK_RE, _ATTR_RE, _REF_DEF_RE):
            body = pattern.sub(one, body)
        return body
