"""Plan every output file, render them all, then swap the result into the output folder.

Nothing is written until every page rendered without error, and the new site is built in a
staging folder next to the output and swapped in by renames, so a failed build leaves the
previous site exactly as it was.
"""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from blogsite.config import Config
from blogsite.errors import BlogsiteError, Problem, display_path
from blogsite.post import Post
from blogsite.render import Output, Renderer
from blogsite.site import POSTS_DIR, Site, load_site
from blogsite.theme import Theme


@dataclass(frozen=True)
class BuildResult:
    site: Site
    output: Path | None
    files: dict[str, bytes | Path]  # relative path -> content, or source file to copy
    written: int
    seconds: float

    @property
    def warnings(self) -> tuple[Problem, ...]:
        return self.site.warnings


def syndication_lookup(config: Config):
    """Links to a post's syndicated copies, read from the syndication record."""
    from blogsite.ledger import load_ledger

    ledger = load_ledger(config.root)
    return ledger.links_for


def plan(
    config: Config,
    *,
    include_drafts: bool = False,
    strict: bool = False,
    now: datetime | None = None,
) -> tuple[Site, dict[str, bytes | Path]]:
    """Load and render the whole site in memory; raise BlogsiteError with every problem."""
    theme = Theme(config.root)
    theme_problems = theme.check()
    try:
        site = load_site(config, include_drafts=include_drafts, strict=strict, now=now)
    except BlogsiteError as exc:
        raise BlogsiteError(theme_problems + exc.problems) from None
    if theme_problems:
        raise BlogsiteError(list(site.warnings) + theme_problems)
    links = syndication_lookup(config)
    outputs = Renderer(site, theme, links).outputs()
    return site, render_all(outputs)


def render_all(outputs: list[Output]) -> dict[str, bytes | Path]:
    files: dict[str, bytes | Path] = {}
    problems: list[Problem] = []
    for out in outputs:
        if out.source is not None:
            files[out.path] = out.source
            continue
        assert out.render is not None
        try:
            files[out.path] = out.render()
        except BlogsiteError as exc:
            for p in exc.problems:
                if p not in problems:
                    problems.append(p)
    if problems:
        raise BlogsiteError(problems)
    return files


def build_site(
    config: Config,
    *,
    output: str | Path | None = None,
    include_drafts: bool = False,
    strict: bool = False,
    now: datetime | None = None,
) -> BuildResult:
    """Build the site into its output folder (default from site.toml)."""
    started = time.perf_counter()
    site, files = plan(config, include_drafts=include_drafts, strict=strict, now=now)
    out_dir = config.output_dir(output)
    check_output_dir(config, out_dir)
    write_atomically(out_dir, files)
    return BuildResult(site, out_dir, files, len(files), time.perf_counter() - started)


def check_output_dir(config: Config, out_dir: Path) -> None:
    resolved = out_dir.resolve()
    root = config.root.resolve()
    if resolved == root or root.is_relative_to(resolved) or resolved == (root / POSTS_DIR):
        raise BlogsiteError(
            Problem(
                display_path(config.path),
                f"the output folder {display_path(out_dir)} would replace the site's own files",
                'choose a folder of its own, like [build] output = "public"',
            )
        )
    if resolved.is_dir() and any(resolved.iterdir()) and not _looks_built(resolved):
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


def _looks_built(folder: Path) -> bool:
    return (folder / "sitemap.xml").is_file() or (folder / "index.html").is_file()


def write_atomically(out_dir: Path, files: dict[str, bytes | Path]) -> None:
    """Write into a staging folder beside out_dir, then swap it in with two renames."""
    parent = out_dir.parent
    parent.mkdir(parents=True, exist_ok=True)
    staging = parent / f".{out_dir.name}.staging-{os.getpid()}"
    old = parent / f".{out_dir.name}.old-{os.getpid()}"
    for leftover in (staging, old):
        if leftover.exists():
            shutil.rmtree(leftover)
    try:
        made: set[Path] = set()
        for rel, content in files.items():
            target = staging / rel
            if target.parent not in made:
                target.parent.mkdir(parents=True, exist_ok=True)
                made.add(target.parent)
            if isinstance(content, Path):
                shutil.copyfile(content, target)
            else:
                target.write_bytes(content)
        if out_dir.exists():
            os.replace(out_dir, old)
        os.replace(staging, out_dir)
    finally:
        for leftover in (staging, old):
            if leftover.exists():
                shutil.rmtree(leftover, ignore_errors=True)


def post_for_slug(site: Site, slug: str) -> Post | None:
    return next((p for p in site.all_posts if p.slug == slug), None)
