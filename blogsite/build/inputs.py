"""The inputs of a build: every source file with the digest of its bytes.

The digest of all of them (and of the build's settings) tells whether anything changed since
the last build; the stat cache makes it cheap, and is only ever a shortcut to these digests.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from blogsite.build.store import digest
from blogsite.config import Config
from blogsite.files import tree_files
from blogsite.site import PAGES_DIR, POSTS_DIR, STATIC_DIR, source_names


def builtin_theme_dir() -> Path:
    """blogsite.theme.builtin_theme_dir without importing Jinja (tests check they agree)."""
    package = Path(__file__).resolve().parent.parent
    packaged = package / "_theme"
    if (packaged / "base.html").is_file():
        return packaged
    return package.parent / "theme"


# A file changed this close to the moment it was read may change again with the same
# time stamps (coarse file-system clocks): its stat-cache entry is not trusted.
RACY_NS = 2_000_000_000


@dataclass
class StatCache:
    """The digest of each input file with the (device, inode, size, mtime, ctime) it had
    when read, so that an unchanged file is not read again. Content keys stay the truth:
    after a fresh clone every stat differs and files are hashed again. An entry is only
    trusted when the file was last changed well before it was read (git's "racily clean")."""

    entries: dict[str, list] = field(default_factory=dict)
    fresh: dict[str, list] = field(default_factory=dict)
    started_ns: int = 0
    read: int = 0  # files read and hashed in this scan

    def file_digest(self, path: str) -> str | None:
        try:
            st = os.stat(path)
        except OSError:
            return None
        stamp = [st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns]
        old = self.entries.get(path)
        if old is not None and old[:5] == stamp:
            self.fresh[path] = old
            return old[5]
        try:
            with open(path, "rb") as f:
                value = digest(f.read())
        except OSError:
            return None
        self.read += 1
        # Read after its stamp was taken: if it changed in between, its next stamp differs.
        if max(stamp[3], stamp[4]) < self.started_ns - RACY_NS:
            self.fresh[path] = [*stamp, value]
        return value

    def changed(self) -> bool:
        return self.read > 0 or len(self.fresh) != len(self.entries)

    @classmethod
    def from_value(cls, loaded: object, started_ns: int) -> StatCache:
        """The stat cache from its stored value (Store.value), entries checked."""
        entries: dict[str, list] = {}
        if isinstance(loaded, dict):
            entries = {
                k: v for k, v in loaded.items()
                if isinstance(v, list) and len(v) == 6 and isinstance(v[5], str)
            }
        return cls(entries=entries, started_ns=started_ns)


@dataclass
class Inputs:
    posts: list[tuple[str, str, str | None]]  # (relative path, path, digest) in file order
    pages: list[tuple[str, str, str | None]]
    files: dict[str, str | None]  # every other input file (path -> digest)
    others: list[str]  # the other files' part of the digest
    settings: str
    # Post path without its suffix -> digest of its comments folder (blogsite.comments):
    # part of the post's cache key, so a comment added or edited parses the post again.
    comments: dict[str, str] = field(default_factory=dict)

    def comments_key(self, kind: str, rel: str) -> str:
        """What of the comments folder goes into the cache key of a post or page."""
        if kind != "post":
            return ""
        from blogsite.comments import strip_suffix

        return self.comments.get(strip_suffix(rel), "")

    @property
    def digest(self) -> str:
        """All of the above, and the build's settings."""
        parts = [self.settings]
        for label, found in ((POSTS_DIR, self.posts), (PAGES_DIR, self.pages)):
            parts.append(label)
            parts.extend(f"{rel}\0{d}" for rel, _, d in found)
        parts.extend(self.others)
        return digest("\n".join(parts).encode("utf-8", "surrogateescape"))


def scan_inputs(config: Config, stat: StatCache, settings: str) -> Inputs:
    """Every input file with its digest."""
    root = config.root
    parts: list[str] = []
    file_digest = stat.file_digest

    def sources(folder: str) -> list[tuple[str, str, str | None]]:
        base = os.path.join(str(root / folder), "")  # with its separator: paths by concatenation
        return [(rel, base + rel, file_digest(base + rel)) for rel in source_names(root / folder)]

    posts = sources(POSTS_DIR)
    pages = sources(PAGES_DIR)
    files: dict[str, str | None] = {}
    for label, folder in (
        ("theme", root / "theme"),
        ("builtin", builtin_theme_dir()),
        ("static", root / STATIC_DIR),
    ):
        parts.append(label)
        base = os.path.join(str(folder), "")
        for rel in tree_files(folder):
            path = base + rel
            d = stat.file_digest(path)
            files[path] = d
            parts.append(f"{rel}\0{d}")
    from blogsite.comments import folder_digests

    comments: dict[str, str] = {}
    parts.append("comments")
    for post_folder, names in sorted(folder_digests(root, stat.file_digest).items()):
        comments[post_folder] = digest("\n".join(names).encode("utf-8", "surrogateescape"))
        parts.append(f"{post_folder}\0{comments[post_folder]}")
    for name in ("site.toml", "syndication.toml"):
        path = str(root / name)
        d = stat.file_digest(path)
        files[path] = d
        parts.append(f"{name}\0{d}")
    return Inputs(posts, pages, files, parts, settings, comments)
