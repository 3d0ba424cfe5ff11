"""Which generator made a site folder, from its configuration file."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from blogsite.errors import BlogsiteError, Problem, display_path
from blogsite.importers.ssg.hugo import find_config, read_hugo
from blogsite.importers.ssg.jekyll import read_jekyll
from blogsite.importers.ssg.model import SiteSettings, SourceSite
from blogsite.importers.ssg.pelican import read_pelican
from blogsite.importers.ssg.zola import read_zola

Reader = Callable[[Path, SiteSettings, list[Problem]], SourceSite]


@dataclass(frozen=True)
class Generator:
    name: str
    read: Reader


def _is_zola(root: Path) -> bool:
    config = root / "config.toml"
    if not config.is_file():
        return False
    text = config.read_text(encoding="utf-8", errors="replace")
    # Zola writes base_url and [markdown]; Hugo writes baseURL.
    return bool(re.search(r"^\s*(base_url\s*=|\[markdown\]|compile_sass\s*=)", text, flags=re.M))


def detect(root: Path) -> Generator:
    """The generator of the site in `root`; a clear error when there is none we know."""
    if (root / "pelicanconf.py").is_file():
        return Generator("Pelican", read_pelican)
    if (root / "_config.yml").is_file() or (root / "_config.yaml").is_file():
        return Generator("Jekyll", read_jekyll)
    if _is_zola(root):
        return Generator("Zola", read_zola)
    if find_config(root) is not None:
        return Generator("Hugo", read_hugo)
    raise BlogsiteError(
        Problem(
            display_path(root),
            "not a Jekyll, Hugo, Pelican or Zola site: found no _config.yml, config.toml,"
            " hugo.toml, config.yaml or pelicanconf.py",
            "give the folder holding the site's configuration file, or a Blogger or"
            " WordPress export file",
        )
    )
