"""`blogsite import DIR`: a Jekyll, Hugo, Pelican or Zola site brought over, URLs and all."""

from __future__ import annotations

from pathlib import Path

from blogsite.config import Config
from blogsite.errors import BlogsiteError, Problem
from blogsite.importers.ssg.assets import AssetFinder
from blogsite.importers.ssg.detect import detect
from blogsite.importers.ssg.model import ImportReport, SiteSettings
from blogsite.importers.ssg.pipeline import finish, plan
from blogsite.importers.ssg.writer import WriteOptions, copy_assets, write_docs


def import_site(folder: Path, config: Config, options: WriteOptions) -> ImportReport:
    """Read the site in `folder`, write its posts, pages and files into the blogsite site."""
    generator = detect(folder)
    settings = SiteSettings(config.root, config.site.language, config.zone.key)
    problems: list[Problem] = []
    site = generator.read(folder, settings, problems)
    if any(not p.warning for p in problems):
        raise BlogsiteError(problems)
    report = ImportReport(generator.name, notes=list(site.notes))
    planned, refs = plan(site, config, report)
    finder = AssetFinder(site.asset_roots, site.root, enabled=options.images)
    taken = {item.url for item in planned}
    docs = [finish(item, site, refs, finder, report, taken) for item in planned]
    write_docs(config.root, docs, report, options)
    copy_assets(config.root, finder.found, report, options)
    report.missing_assets = sorted(set(finder.missing))
    return report


def report_lines(report: ImportReport) -> list[str]:
    """The final report, as lines for the terminal."""
    lines = [
        f"Imported a {report.generator} site: {len(report.written)} files written,"
        f" {len(report.unchanged)} unchanged, {len(report.kept_edited)} kept (edited since;"
        f" --force overwrites them), {len(report.assets)} images and files copied into static/."
    ]
    sections = [
        ("Kept as they were, edited since the last import (use --force to overwrite)", report.kept_edited),
        ("Language other than the site's, written as `lang`", report.languages),
        ("Template syntax not converted, kept visibly in a code span (fix by hand)", report.unknown_syntax),
        ("Files the posts link to that were not found", report.missing_assets),
        ("Notes", report.notes),
    ]
    for title, items in sections:
        if items:
            lines.append(f"{title}:")
            lines += [f"  {item}" for item in items]
    return lines
