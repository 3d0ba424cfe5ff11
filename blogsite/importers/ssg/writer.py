"""Writing imported posts, pages and files into the site, safely.

Posts and pages go through the writer shared by every import (blogsite.importers.writer):
a second import writes nothing, and a file edited since is kept unless --force. Files the
posts use are copied into static/ under the same rule.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from blogsite.importers.ssg.model import Asset, ImportedDoc, ImportReport, Kind

_Dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


@dataclass(frozen=True)
class WriteOptions:
    force: bool = False
    images: bool = True


def front_matter(doc: ImportedDoc) -> dict[str, Any]:
    data: dict[str, Any] = {"title": doc.title}
    if doc.kind is Kind.POST and doc.date is not None:
        data["date"] = doc.date.isoformat()
    if doc.updated is not None:
        data["updated"] = doc.updated.isoformat()
    data["slug"] = doc.slug
    optional: dict[str, Any] = {
        "tags": list(doc.tags) if doc.kind is Kind.POST else [],
        "summary": doc.summary,
        "lang": doc.lang,
        "image": doc.image,
        "aliases": list(doc.aliases),
    }
    data.update({k: v for k, v in optional.items() if v})
    if doc.draft:
        data["draft"] = True
    return data


def render_doc(doc: ImportedDoc) -> str:
    head = yaml.dump(front_matter(doc), Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=1000)
    return f"---\n{head}---\n{doc.body.strip()}\n"


def write_docs(root: Path, docs: list[ImportedDoc], report: ImportReport, options: WriteOptions) -> None:
    """Through the shared writer of every import: it remembers what it wrote, so an
    untouched file is brought up to date and an edited one is kept unless --force."""
    from blogsite.importers.writer import PlannedFile, write

    files = [PlannedFile(f"{doc_folder(doc)}/{doc.name}.md", render_doc(doc)) for doc in docs]
    result = write(root, files, force=options.force)
    report.written += result.written
    report.unchanged += result.unchanged
    report.kept_edited += result.skipped


def doc_folder(doc: ImportedDoc) -> str:
    return "posts" if doc.kind is Kind.POST else "pages"


def copy_assets(root: Path, assets: list[Asset], report: ImportReport, options: WriteOptions) -> None:
    done: set[str] = set()
    for asset in assets:
        if asset.target in done:
            continue
        done.add(asset.target)
        label = f"static/{asset.target}"
        target = root / "static" / asset.target
        if target.is_file() and not options.force:
            if target.read_bytes() != asset.source.read_bytes():
                report.kept_edited.append(label)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(asset.source, target)
        report.assets.append(label)
