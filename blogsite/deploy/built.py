"""The output folder a deploy uploads, accepted only as the last successful build left it.

A build records a manifest of every file it wrote (in .blogsite-cache/, with each file's
size and time stamp) only once it has succeeded. A folder that has no manifest, that lost or
changed one of its files since, or that holds files the build did not write is refused: it
may be half-written by a failed build, or edited by hand, and must not go online.
"""

from __future__ import annotations

import os
from pathlib import Path

from blogsite.build.manifest import FileEntry, Manifest, decode
from blogsite.build.options import BuildOptions
from blogsite.build.store import CACHE_DIR, Store
from blogsite.config import Config
from blogsite.deploy.plan import LocalFile, LocalSite
from blogsite.errors import BlogsiteError, Problem, display_path

BUILD_HINT = "run `blogsite build` (it must succeed), then deploy again"


def _cache_disabled() -> bool:
    """BLOGSITE_CACHE=0: builds keep no manifest to check the folder against."""
    return not BuildOptions.from_env(os.environ).cache


def _manifest_files(config: Config, out_dir: Path) -> dict[str, FileEntry] | None:
    if _cache_disabled() or not (config.root / CACHE_DIR).is_dir():
        return None
    resolved = out_dir.resolve()
    root = config.root.resolve()
    where = resolved.relative_to(root).as_posix() if resolved.is_relative_to(root) else resolved
    store = Store.open(config.root)
    if store is None:
        return None
    try:
        manifest = decode(Manifest, store.value(f"manifest:{where}"))
    finally:
        store.close()
    return None if manifest is None else manifest.files


def walk(folder: Path) -> dict[str, LocalFile]:
    """Every file below `folder` (symbolic links to files count as files)."""
    found: dict[str, LocalFile] = {}
    base = str(folder)
    for dirpath, _dirs, names in os.walk(base):
        rel_dir = os.path.relpath(dirpath, base).replace(os.sep, "/")
        prefix = "" if rel_dir == "." else rel_dir + "/"
        for name in names:
            full = os.path.join(dirpath, name)
            try:
                size = os.stat(full).st_size
            except OSError:
                continue
            found[prefix + name] = LocalFile(prefix + name, size)
    return found


def _mismatch(folder: Path, files: dict[str, LocalFile], manifest: dict[str, FileEntry]) -> str:
    """Why the folder is not what the build wrote ("" when it is)."""
    base = os.path.join(str(folder), "")
    for rel, entry in manifest.items():
        try:
            st = os.stat(base + rel)
        except OSError:
            return f"{rel} is missing"
        if st.st_size != entry.size or st.st_mtime_ns != entry.mtime_ns:
            return f"{rel} changed after the build"
    extra = sorted(set(files) - set(manifest))
    if extra:
        more = f" and {len(extra) - 1} more" if len(extra) > 1 else ""
        return f"{extra[0]}{more} were not written by the build"
    return ""


def load_built(config: Config, output: str | Path | None = None) -> LocalSite:
    """The output folder, checked against the last successful build's manifest."""
    folder = config.output_dir(output)
    shown = display_path(folder)
    if not folder.is_dir():
        raise BlogsiteError(Problem(shown, "the output folder does not exist: nothing to deploy",
                                    BUILD_HINT))
    manifest = _manifest_files(config, folder)
    if manifest is None:
        why = ("BLOGSITE_CACHE=0 keeps builds from recording what they wrote"
               if _cache_disabled() else "no successful build into it is recorded")
        raise BlogsiteError(Problem(shown, f"the output folder cannot be deployed: {why}",
                                    BUILD_HINT if not _cache_disabled() else
                                    "unset BLOGSITE_CACHE, build, then deploy"))
    files = walk(folder)
    why = _mismatch(folder, files, manifest)
    if why:
        raise BlogsiteError(Problem(
            shown, f"the output folder is not what the last successful build wrote: {why}",
            BUILD_HINT))
    return LocalSite(folder, files)
