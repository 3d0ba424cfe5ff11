"""The report at the end of an import: what came in, what became of it, what to look at."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from blogsite.importers.images import ImageResult
from blogsite.importers.model import Export
from blogsite.importers.writer import WriteResult


@dataclass
class ImportReport:
    source: str
    kind: str
    posts: int = 0
    pages: int = 0
    drafts: list[str] = field(default_factory=list)  # "posts/x.md (pending review -> draft)"
    untitled: list[str] = field(default_factory=list)
    comments_shown: int = 0
    comments_unapproved: int = 0
    mentions: int = 0
    dropped: dict[str, int] = field(default_factory=dict)  # "comment: spam" -> count
    aliases: int = 0
    images: ImageResult | None = None
    written: int = 0
    unchanged: int = 0
    skipped: list[str] = field(default_factory=list)
    shortcodes: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    recorded: int = 0  # deliveries recorded as skipped in the syndication record

    def render(self) -> str:
        lines = [f"Imported {self.source} ({self.kind})"]
        lines.append(f"  posts: {self.posts}, pages: {self.pages}, drafts: {len(self.drafts)}")
        lines += [f"    draft: {d}" for d in self.drafts]
        lines += [f"    untitled (give it a title): {u}" for u in self.untitled]
        lines.append(
            f"  comments: {self.comments_shown} shown, {self.comments_unapproved} unapproved "
            f"(kept, not shown), {self.mentions} pingbacks/trackbacks (shown as mentions), "
            f"{sum(self.dropped.values())} left out"
        )
        lines += [f"    left out: {n} × {what}" for what, n in sorted(self.dropped.items())]
        lines.append(f"  aliases (old addresses redirected): {self.aliases}")
        if self.images is None:
            lines.append("  images: left where they are (--no-images)")
        else:
            lines.append(f"  images: {self.images.downloaded} downloaded into static/images/, "
                         f"{self.images.present} already there, {self.images.remote} kept remote")
        lines.append(f"  files: {self.written} written, {self.unchanged} unchanged, "
                     f"{len(self.skipped)} skipped")
        lines += [f"    skipped (edited since imported; --force overwrites): {s}" for s in self.skipped]
        if self.recorded:
            lines.append(f"  syndication.toml: {self.recorded} announcements recorded as skipped "
                         "(imported posts are old news: `blogsite publish` leaves them alone)")
        for name, n in sorted(self.shortcodes.items()):
            lines.append(f"  unknown shortcode kept as it is: [{name}] ({n}×): edit these posts by hand")
        lines += [f"  warning: {w}" for w in self.warnings]
        return "\n".join(lines)


def make_report(source: str, export: Export, names: list[str], images: ImageResult | None,
                written: WriteResult) -> ImportReport:
    report = ImportReport(source, export.kind, shortcodes=dict(export.shortcodes),
                          warnings=list(export.warnings), images=images)
    for post, name in zip(export.posts, names, strict=True):
        if post.is_page:
            report.pages += 1
        else:
            report.posts += 1
        if post.draft:
            report.drafts.append(f"{name} ({post.draft_reason or post.original_status or 'draft'})")
        if post.untitled:
            report.untitled.append(name)
        report.aliases += len(post.aliases)
        for c in post.comments:
            if not c.approved:
                report.comments_unapproved += 1
            elif c.kind != "comment":
                report.mentions += 1
            else:
                report.comments_shown += 1
    report.dropped = dict(Counter(f"{d.what}: {d.reason}" for d in export.dropped))
    report.warnings += images.warnings if images is not None else []
    report.written, report.unchanged = len(written.written), len(written.unchanged)
    report.skipped = list(written.skipped)
    return report
