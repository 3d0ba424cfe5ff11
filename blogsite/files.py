"""Listing a folder's files, quickly: the site's sources, its theme, its comments."""

from __future__ import annotations

import os
from pathlib import Path


def tree_files(
    folder: Path, suffixes: tuple[str, ...] | None = None, follow_dir_links: bool = True
) -> list[str]:
    """Every non-hidden file under folder (ending with one of `suffixes`, case-insensitive, if
    given), as "/"-separated relative paths in the order of sorted Path objects.

    os.scandir and string paths, no pathlib: that is most of the cost of listing 10,000 posts.
    """
    found: list[str] = []
    stack = [("", str(folder))]
    while stack:
        prefix, current = stack.pop()
        try:
            entries = list(os.scandir(current))
        except OSError:
            continue
        for entry in entries:
            if entry.name.startswith("."):
                continue
            if entry.is_dir() and (follow_dir_links or not entry.is_symlink()):
                stack.append((prefix + entry.name + "/", entry.path))
            elif (suffixes is None or entry.name.lower().endswith(suffixes)) and entry.is_file():
                found.append(prefix + entry.name)
    found.sort(key=lambda rel: rel.split("/"))
    return found
