"""Writing imported posts, pages and files into the site, safely.

Idempotent: a file already holding what the import would write is left alone, and a file
that differs (edited since the last import) is kept unless --force. Nothing else in the
site is touched.
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


def _write(path: Path, data: bytes, label: str, report: ImportReport, force: bool) -> None:
    if path.is_file():
        if path.read_bytes() == data:
            report.unchanged.append(label)
            return
        if not force:
            report.kept_edited.append(label)
            return
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".import-tmp")
    tmp.write_bytes(data)
    tmp.replace(path)
    report.written.append(label)


def write_docs(root: Path, docs: list[ImportedDoc], report: ImportReport, options: WriteOptions) -> None:
    for doc in docs:
        folder = "posts" if doc.kind is Kind.POST else "pages"
        label = f"{folder}/{doc.name}.md"
        _write(root / label, render_doc(doc).encode("utf-8"), label, report, options.force)


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
