"""The writer: carries a build's decisions out in the output folder.

Each output is either unchanged (its file stays) or rendered (or copied, for static files).
Nothing in the output folder changes until every page rendered without error; then the
writer commits in one of two ways:

- staged: a complete new folder is written beside the output (unchanged files hard-linked
  into it) and swapped in with two renames. For first builds and large changes, and only
  when the folder holds nothing but files blogsite wrote;
- in place: each changed page is rendered into a temporary file beside its target and
  renamed over it; the files the last build wrote that are no longer made are deleted.

Either way a failed build leaves the previous site exactly as it was, and Ctrl-C is held
back while the folder changes (blogsite.build.output.interrupts_held).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from blogsite.build.manifest import FileEntry, same_stat, still_there
from blogsite.build.options import Thresholds
from blogsite.build.output import holds_only, interrupts_held, remove_output_file, write_owned
from blogsite.build.store import digest

if TYPE_CHECKING:
    from blogsite.render import Output

# Render functions -> one result per function, in order (raises with every problem).
# The sink runs where the page was rendered (a worker process): it writes the page there.
Renderer = Callable[[list[Callable[[], bytes]], Callable[[int, bytes], Any]], list[Any]]


@dataclass(frozen=True)
class OutputClaim:
    """The output folder as this build may touch it (blogsite.build.output)."""

    record: Path  # the record of the files blogsite wrote there
    where: str  # the folder's name in the cache
    owned: frozenset[str]  # what blogsite wrote there: the only files it replaces or deletes
    produced: frozenset[str]  # what this build makes
    on_disk: bool  # whether the folder exists


@dataclass
class WriteJob:
    """What a build decided: the outputs, their keys, which to render, which stay."""

    out_dir: Path
    outputs: Sequence[Output]
    keys: list[str | None]
    todo: list[int]  # outputs to render or copy (indices)
    unchanged: dict[int, FileEntry]  # outputs whose file stays as the last build wrote it
    old: dict[str, FileEntry]  # the last build's files still in the folder
    owned: frozenset[str]  # every file blogsite wrote there (the only ones it may delete)


@dataclass
class Written:
    entries: dict[str, FileEntry]  # the new manifest's files, in output order
    changed: int  # files written or deleted


def decide(
    out_dir: Path, outputs: Sequence[Output], keys: list[str | None],
    known: dict[str, FileEntry], claim: OutputClaim,
) -> WriteJob:
    """Each output unchanged (same key, its file still there) or to render."""
    old = {rel: e for rel, e in known.items() if rel in claim.owned} if claim.on_disk else {}
    job = WriteJob(out_dir, outputs, keys, [], {}, old, claim.owned)
    base = os.path.join(str(out_dir), "")
    for i, (out, key) in enumerate(zip(outputs, keys, strict=True)):
        last = known.get(out.path)
        kept = (
            still_there(base + out.path, last)
            if claim.on_disk and key is not None and last is not None and last.key == key
            else None
        )
        if kept is None:
            job.todo.append(i)
        else:
            job.unchanged[i] = kept._replace(key=key)
    return job


def write(job: WriteJob, claim: OutputClaim, render: Renderer, limits: Thresholds) -> Written:
    """Carry the job out: staged for a first build or many changes, else in place. The
    files blogsite owns there are recorded before any is written: whatever a build dies
    after is blogsite's to replace."""
    many = len(job.todo) > max(limits.in_place_max, len(job.outputs) // limits.in_place_share)
    # A folder that holds anything blogsite did not write is never swapped out: the site
    # is written around those files, in place.
    staged = (not job.old or many) and (
        not claim.on_disk or holds_only(job.out_dir, claim.owned)
    )
    write_owned(claim.record, claim.where, claim.owned | claim.produced)
    written = (write_staged if staged else write_in_place)(job, render)
    write_owned(claim.record, claim.where, claim.produced)
    return written


def _write_file(path: str, data: bytes) -> FileEntry:
    with open(path, "wb") as f:
        f.write(data)
    st = os.stat(path)
    return FileEntry(None, digest(data), st.st_size, st.st_mtime_ns)


def _counted(job: WriteJob, entries: dict[str, FileEntry], removed: int) -> int:
    changed = sum(
        1 for rel, entry in entries.items()
        if (old := job.old.get(rel)) is None or old.digest != entry.digest
    )
    return changed + removed


# ----- staged: a new folder, swapped in


def write_staged(job: WriteJob, render: Renderer) -> Written:
    """Write a complete new folder beside the output, then swap it in with two renames."""
    out_dir = job.out_dir
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = out_dir.parent / f".{out_dir.name}.staging-{os.getpid()}"
    previous = out_dir.parent / f".{out_dir.name}.old-{os.getpid()}"
    for leftover in (staging, previous):
        if leftover.exists():
            shutil.rmtree(leftover)
    try:
        staging.mkdir()
        entries = _fill(job, staging, render)
        changed = _counted(job, entries, sum(1 for rel in job.old if rel not in entries))
        with interrupts_held():
            if out_dir.exists():
                os.replace(out_dir, previous)
            os.replace(staging, out_dir)
    finally:
        for leftover in (staging, previous):
            if leftover.exists():
                shutil.rmtree(leftover, ignore_errors=True)
    return Written(entries, changed)


def _fill(job: WriteJob, staging: Path, render: Renderer) -> dict[str, FileEntry]:
    """Every output into the staging folder: unchanged files linked, the others rendered
    (by the workers, which write what they render) or copied."""
    base = os.path.join(str(staging), "")
    outputs = job.outputs
    for rel in {os.path.dirname(out.path) for out in outputs} - {""}:
        os.makedirs(base + rel, exist_ok=True)
    found: dict[int, FileEntry] = {}
    for i, entry in job.unchanged.items():
        rel = outputs[i].path
        try:
            os.link(job.out_dir / rel, base + rel)
        except OSError:
            shutil.copyfile(job.out_dir / rel, base + rel)
        found[i] = entry
    positions = [i for i in job.todo if outputs[i].source is None]
    for i in job.todo:
        source = outputs[i].source
        if source is not None:
            found[i] = _write_file(base + outputs[i].path, source.read_bytes())._replace(key=job.keys[i])

    def sink(j: int, data: bytes) -> FileEntry:
        i = positions[j]
        return _write_file(base + outputs[i].path, data)._replace(key=job.keys[i])

    results = render([outputs[i].render for i in positions], sink)  # type: ignore[misc]  # pages: render is set
    found.update(zip(positions, results, strict=True))
    return {out.path: found[i] for i, out in enumerate(outputs)}


# ----- in place: temporary files renamed over their targets


def write_in_place(job: WriteJob, render: Renderer) -> Written:
    """Render what changed, each page into a temporary file beside its own (by the worker
    that rendered it), then rename them over the old files and delete the stale ones."""
    out_dir = job.out_dir
    base = os.path.join(str(out_dir), "")
    suffix = f".blogsite-{os.getpid()}"

    def temporary(rel: str) -> str:
        folder, name = os.path.split(rel)
        return f"{base}{folder}/.{name}{suffix}" if folder else f"{base}.{name}{suffix}"

    outputs = job.outputs

    def stage(j: int, data: bytes) -> tuple[str, str | None]:
        """In the worker: (digest, the temporary file, or None if the page is unchanged)."""
        rel = outputs[job.todo[j]].path
        d = digest(data)
        entry = job.old.get(rel)
        if entry is not None and entry.digest == d and same_stat(base + rel, entry):
            return d, None
        tmp = temporary(rel)
        os.makedirs(os.path.dirname(tmp), exist_ok=True)
        with open(tmp, "wb") as f:
            f.write(data)
        return d, tmp

    renders = [_bytes_of(outputs[i]) for i in job.todo]
    try:
        staged = dict(zip(job.todo, render(renders, stage), strict=True))
    except BaseException:
        for i in job.todo:
            Path(temporary(outputs[i].path)).unlink(missing_ok=True)
        raise
    return _replace_all(job, staged)


def _bytes_of(out: Output) -> Callable[[], bytes]:
    """The render function of an output: its template, or its static file's bytes."""
    if out.source is not None:
        source = out.source
        return source.read_bytes
    assert out.render is not None
    return out.render


def _replace_all(job: WriteJob, staged: dict[int, tuple[str, str | None]]) -> Written:
    """Rename every temporary file over its target, then delete what is no longer made;
    Ctrl-C waits until all of it is done."""
    entries: dict[str, FileEntry] = {}
    changed = 0
    with interrupts_held():
        try:
            for i, out in enumerate(job.outputs):
                kept = job.unchanged.get(i)
                if kept is not None:
                    entries[out.path] = kept
                    continue
                d, written = staged.pop(i)
                target = job.out_dir / out.path
                if written is None:
                    entries[out.path] = job.old[out.path]._replace(key=job.keys[i])
                    continue
                os.replace(written, target)
                st = target.stat()
                entries[out.path] = FileEntry(job.keys[i], d, st.st_size, st.st_mtime_ns)
                changed += 1
        finally:
            for _d, written in staged.values():
                if written is not None:
                    Path(written).unlink(missing_ok=True)
        for rel in job.owned:
            if rel not in entries:
                changed += remove_output_file(job.out_dir, rel)
    return Written(entries, changed)
