"""The output folder: never replacing a folder blogsite did not write, deleting only the
files a build wrote, and swapping a whole new site in with two renames."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path

from blogsite.cache import CACHE_DIR
from blogsite.config import Config
from blogsite.errors import BlogsiteError, Problem, display_path
from blogsite.site import POSTS_DIR


def remove_output_file(out_dir: Path, rel: str) -> int:
    """Delete a file the previous build wrote, and the folders it leaves empty."""
    target = out_dir / rel
    try:
        target.unlink()
    except FileNotFoundError:
        return 0
    folder = target.parent
    while folder != out_dir and folder.is_relative_to(out_dir):
        try:
            folder.rmdir()
        except OSError:
            break
        folder = folder.parent
    return 1


class OutputFiles(Mapping):
    """BuildResult.files after a build: relative path -> the file in the output folder."""

    def __init__(self, out_dir: Path, paths: list[str]) -> None:
        self._out = out_dir
        self._paths = dict.fromkeys(paths)

    def __getitem__(self, rel: str) -> Path:
        if rel not in self._paths:
            raise KeyError(rel)
        return self._out / rel

    def __iter__(self) -> Iterator[str]:
        return iter(self._paths)

    def __len__(self) -> int:
        return len(self._paths)


def check_output_dir(config: Config, out_dir: Path) -> None:
    resolved = out_dir.resolve()
    root = config.root.resolve()
    if (
        resolved == root
        or root.is_relative_to(resolved)
        or resolved == (root / POSTS_DIR)
        or resolved == (root / CACHE_DIR)
    ):
        raise BlogsiteError(
            Problem(
                display_path(config.path),
                f"the output folder {display_path(out_dir)} would replace the site's own files",
                'choose a folder of its own, like [build] output = "public"',
            )
        )
    if resolved.is_dir() and any(resolved.iterdir()) and not looks_built(resolved):
        raise BlogsiteError(
            Problem(
                display_path(out_dir),
                "the output folder exists and was not written by blogsite; refusing to replace it",
                "empty or remove it, or build elsewhere with --output DIR",
            )
        )
    if resolved.exists() and not resolved.is_dir():
        raise BlogsiteError(
            Problem(display_path(out_dir), "the output path is a file, not a folder", "remove it")
        )


def looks_built(folder: Path) -> bool:
    return (folder / "sitemap.xml").is_file() or (folder / "index.html").is_file()
