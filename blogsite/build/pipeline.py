"""One build, as a table of contents (Builder._build): scan -> load -> key -> decide ->
write -> save, each phase timed (BLOGSITE_TIMINGS). docs/performance.md has the picture.

Nothing is written until every page rendered without error, so a failed build leaves the
previous site exactly as it was, and the result is byte for byte the one of a build from
scratch without cache (tests/test_incremental.py). When no input changed and the output
folder still holds what the last build wrote, the build stops after the scan. `serve`
(plan) runs the same phases up to the key, and keeps its pages in memory.

The phases' parts: inputs.py (scan), load.py and posts.py (load), reuse.py (key),
writer.py (decide, write), manifest.py (what the last build left), workers.py, options.py.
"""

from __future__ import annotations

import dataclasses
import gc
import json
import os
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from blogsite.build import reuse
from blogsite.build.inputs import Inputs, StatCache, builtin_theme_dir, scan_inputs
from blogsite.build.load import Found, load_site_cached
from blogsite.build.manifest import (
    FileEntry,
    Manifest,
    StoredWarning,
    TemplateAnalysis,
    decode,
    encode,
    intact,
    last_graph,
    next_scheduled,
)
from blogsite.build.options import BuildOptions
from blogsite.build.output import OutputFiles, check_output_dir, claim_output, owned_record, read_owned
from blogsite.build.posts import Contents
from blogsite.build.reuse import Before, Keying
from blogsite.build.store import Store, code_fingerprint, digest
from blogsite.build.workers import Sink, render_many
from blogsite.build.writer import OutputClaim, WriteJob, Written, decide, write
from blogsite.config import Config
from blogsite.errors import BlogsiteError, Problem, display_path
from blogsite.post import Post
from blogsite.site import LazySite, Site, load_site

if TYPE_CHECKING:
    from blogsite.build.manifest import LastGraph
    from blogsite.render import Output, Renderer

T = TypeVar("T")


@dataclass(frozen=True)
class BuildResult:
    site: Site
    output: Path | None
    files: Mapping[str, bytes | Path]  # relative path -> content, or the file holding it
    written: int  # files in the output
    seconds: float
    rendered: int = 0  # pages rendered by this build (the others were unchanged)
    changed: int = 0  # files this build wrote or deleted
    keyed: int = 0  # page keys this build computed (the others were the last build's)
    laps: Mapping[str, float] = field(default_factory=dict)  # seconds spent in each phase

    def timings(self) -> str:
        """The BLOGSITE_TIMINGS line: each phase's time, and what was rendered and keyed."""
        laps = " ".join(f"{k}={v:.3f}" for k, v in self.laps.items())
        return f"{laps} rendered={self.rendered} keyed={self.keyed}"

    @property
    def warnings(self) -> tuple[Problem, ...]:
        return self.site.warnings


def syndication_lookup(config: Config):
    """Links to a post's syndicated copies, read from the syndication record."""
    from blogsite.publish.ledger import load_ledger

    ledger = load_ledger(config.root)
    return ledger.links_for if ledger.entries else _no_links


def _no_links(post: Post) -> list[tuple[str, str]]:
    return []


def plan(
    config: Config, *, include_drafts: bool = False, strict: bool = False,
    now: datetime | None = None, session: Session | None = None,
    options: BuildOptions | None = None,
) -> tuple[Site, dict[str, bytes | Path]]:
    """Load and render the whole site in memory; raise BlogsiteError with every problem.

    Parsed posts come from the build cache; `blogsite serve` passes a Session, which also
    keeps the rendered pages between calls and renders only the pages whose key changed.
    """
    builder = Builder(config, include_drafts=include_drafts, strict=strict, now=now,
                      session=session, options=options)
    try:
        return builder.plan()
    finally:
        builder.close()


def build_site(
    config: Config, *, output: str | Path | None = None, include_drafts: bool = False,
    strict: bool = False, now: datetime | None = None, options: BuildOptions | None = None,
    keep_unknown: bool = False,
) -> BuildResult:
    """Build the site into its output folder (default from site.toml).

    With `options.cache` off, the reference build: from scratch, serially, without the
    cache of .blogsite-cache/ (only the record of the files it wrote, see blogsite.build.output).
    A non-empty output folder blogsite has no record of writing is refused unless
    `keep_unknown`, which keeps its files and builds around them.
    """
    builder = Builder(config, include_drafts=include_drafts, strict=strict, now=now,
                      options=options)
    builder.keep_unknown = keep_unknown
    try:
        return builder.build(config.output_dir(output))
    finally:
        builder.close()


class Session:
    """What `blogsite serve` keeps between rebuilds: parsed posts and rendered pages."""

    def __init__(self) -> None:
        self.stat = StatCache()
        self.pages: dict[str, tuple[str, bytes]] = {}  # output path -> (key, bytes)
        self.posts: dict[tuple[str, str], Found] = {}  # (key, path) -> post
        self.theme: tuple[str, Any] | None = None  # (digest of the theme files, Theme)
        self.graph: LastGraph | None = None  # the site's structure then (reuse.Graph)


def _keep_pages(session: Session, outputs: list[Output], keying: Keying, files: dict) -> None:
    """The keyed pages and what they were keyed from, for `serve`'s next pass."""
    session.pages = {
        out.path: (key, files[out.path])
        for out, key in zip(outputs, keying.keys, strict=True) if key is not None and not out.source
    }
    deps = {
        out.path: d for out, d in zip(outputs, keying.deps, strict=True)
        if d is not None and out.path in session.pages
    }
    session.graph = keying.graph.last(deps) if keying.graph is not None else None


@contextmanager
def _collector_paused() -> Iterator[bool]:
    """The garbage collector off (if it was on), then as it was; yields whether it was
    paused. Reading the cache and loading the site make a few hundred thousand objects and
    no cycles worth collecting: the collector would only walk them again and again."""
    collect = gc.isenabled()
    if collect:
        gc.disable()
    try:
        yield collect
    finally:
        if collect:
            gc.enable()


class Builder:
    """One build: scan the inputs, load the site (from the cache where it can), key every
    output, render what changed and write it. Used once, then closed."""

    def __init__(
        self, config: Config, *, include_drafts: bool = False, strict: bool = False,
        now: datetime | None = None, session: Session | None = None,
        options: BuildOptions | None = None,
    ) -> None:
        self.config = config
        self.include_drafts = include_drafts
        self.strict = strict
        self.now = now or datetime.now(UTC)
        self.session = session
        self.options = options or BuildOptions()
        self.use_cache = self.options.cache
        self.code = code_fingerprint()
        self.store = Store.open(config.root, self.code) if self.use_cache else None
        self.inputs: Inputs | None = None
        self.stat: StatCache | None = None
        self.rendered = 0
        self.laps: dict[str, float] = {}
        self.frozen = False
        self.contents: Contents | None = None  # set by load()
        self.live_keys: set[str] | None = None  # the records this build uses, set by load()
        self.keep_unknown = False
        self.templates: dict[str, list] | None = None  # the renderer's memo, to save
        self.templates_known = 0

    def _timed(self, name: str, phase: Callable[..., T], *args: Any) -> T:
        started = time.perf_counter()
        try:
            return phase(*args)
        finally:
            self.laps[name] = self.laps.get(name, 0.0) + time.perf_counter() - started

    def _collect_from_here(self) -> None:
        """Rendering leaves cycles (Jinja's): the collector runs from here on, with what lives
        now (the site, its pages and their keys) frozen out of its sight until close()."""
        gc.freeze()
        gc.enable()
        self.frozen = True

    def close(self) -> None:
        if self.frozen:
            gc.unfreeze()
            self.frozen = False
        if self.store is not None:
            self.store.close()

    # --- scan, load

    def _scan(self, extra: str = "") -> Inputs:
        started = time.time_ns()
        if self.session is not None:
            stat = self.session.stat
            stat.entries = {**stat.entries, **stat.fresh}
            stat.fresh = {}
            stat.started_ns = started
        elif self.store is not None:
            stat = StatCache.from_value(self.store.value("stat"), started)
        else:
            stat = StatCache(started_ns=started)
        self.stat = stat
        settings = json.dumps([self.code, self.include_drafts, self.strict, extra])
        self.inputs = scan_inputs(self.config, stat, settings)
        return self.inputs


    def load(self, inputs: Inputs) -> Site:
        return load_site_cached(self, inputs)

    def _load_checked(self, inputs: Inputs | None) -> Site:
        """The site, with the theme's problems reported alongside the posts' ones."""
        from blogsite.theme import Theme

        try:
            if inputs is None:  # the reference build: the plain loader, serial, nothing kept
                return load_site(self.config, include_drafts=self.include_drafts,
                                 strict=self.strict, now=self.now)
            return self.load(inputs)
        except BlogsiteError as exc:
            raise BlogsiteError(Theme(self.config.root).check() + exc.problems) from None

    def _theme(self) -> Any:
        """The theme, checked; `serve` keeps it (its compiled templates too) while its files
        stay the same. Checking compiles every template (a tenth of a second): a build skips
        it when these very template files passed before."""
        from blogsite.theme import Theme

        files = self.inputs.files.items() if self.inputs is not None else None
        roots = (str(self.config.root / "theme") + os.sep, str(builtin_theme_dir()) + os.sep)
        theme_digest = None if files is None else digest(json.dumps(
            sorted((p, d) for p, d in files if p.startswith(roots))
        ).encode("utf-8", "surrogateescape"))
        kept = self.session.theme if self.session is not None else None
        if kept is not None and theme_digest is not None and kept[0] == f"{theme_digest}\0{self.config.root}":
            return kept[1]
        theme = Theme(self.config.root)
        if self.session is not None and theme_digest is not None:
            self.session.theme = (f"{theme_digest}\0{self.config.root}", theme)
        checked = f"theme-ok:{theme_digest}"
        if self.store is None or theme_digest is None or self.store.blob(checked) is None:
            problems = theme.check()
            if problems:
                raise BlogsiteError(problems)
            if self.store is not None and theme_digest is not None:
                self.store.begin()
                self.store.put_blob(checked, b"1")
                self.store.commit()
        return theme

    def _outputs(self, site: Site, out_dir: Path | None) -> tuple[Site, Renderer, list[Output]]:
        """The renderer and every output; the site with a warning for each local link no
        output answers (an error for --strict)."""
        from blogsite.links import broken_links
        from blogsite.render import Renderer

        try:
            theme = self._theme()
        except BlogsiteError as exc:
            raise BlogsiteError([*site.warnings, *exc.problems]) from None
        renderer = Renderer(site, theme, syndication_lookup(self.config))
        if self.store is not None:
            memo = decode(dict[str, TemplateAnalysis], self.store.value("templates")) or {}
            renderer.template_memo.update((k, list(v)) for k, v in memo.items())
            self.templates, self.templates_known = renderer.template_memo, len(memo)
        if out_dir is not None:
            check_output_dir(self.config, out_dir)
        outputs = renderer.outputs()
        found = broken_links(site, {o.path for o in outputs})
        if found and self.strict:
            raise BlogsiteError([p.as_error() for p in (*site.warnings, *found)])
        if found:
            site = dataclasses.replace(site, warnings=(*site.warnings, *found))
        return site, renderer, outputs

    def _render(self, renders: list[Callable[[], bytes]], sink: Sink | None) -> list[Any]:
        """Render every function (in parallel when many, unless the build is the serial
        reference one); raise with every problem, in output order."""
        n = self.options.workers_for(len(renders), self.options.thresholds.render_workers)
        return render_many(renders, sink, n)

    def _save(self) -> None:
        store = self.store
        if store is None:
            return
        store.begin()
        if self.stat is not None and self.stat.changed():
            store.put_value("stat", self.stat.fresh)
        memo = self.templates
        if memo is not None and len(memo) != self.templates_known and len(memo) < 500:
            store.put_value("templates", {k: tuple(v) for k, v in memo.items()})
        if self.live_keys is not None and self.session is None:
            store.prune(self.live_keys)
        store.commit()

    # --- in memory (serve, check): the files' bytes, the pages `serve` kept reused

    def plan(self) -> tuple[Site, dict[str, bytes | Path]]:
        """`check` and `serve`: every file in memory. `serve` keys the pages as a build
        does (blogsite.build.reuse) and keeps them in its Session: a page whose key is the
        same is not rendered again."""
        # In `serve` the collector also walked the session's pages and the last site on
        # every pass: a third of a saved edit's rebuild at 10,000 posts.
        with _collector_paused() as collect:
            inputs = self._scan() if self.use_cache else None
            site, renderer, outputs = self._outputs(self._load_checked(inputs), None)
            files: dict[str, bytes | Path] = {o.path: o.source for o in outputs if o.source}
            session, keying = self.session, None
            if session is not None and inputs is not None:
                before = Before({p: k for p, (k, _b) in session.pages.items()}, session.graph)
                keying = reuse.key_all(outputs, site, renderer, inputs, before, self.store)
                for out, key in zip(outputs, keying.keys, strict=True):
                    kept = session.pages.get(out.path)
                    if kept is not None and kept[0] == key:
                        files[out.path] = kept[1]
            todo = [out for out in outputs if out.path not in files]
            if collect:
                self._collect_from_here()  # `serve` sweeps each old site later
            self.rendered += len(todo)
            for out, data in zip(todo, self._render([o.render for o in todo], None), strict=True):  # type: ignore[misc]  # pages: render is set
                files[out.path] = data
            if session is not None and keying is not None:
                _keep_pages(session, outputs, keying, files)
            self._save()
            return site, {out.path: files[out.path] for out in outputs}

    # --- into the output folder

    def build(self, out_dir: Path) -> BuildResult:
        with _collector_paused() as collect:
            return self._build(out_dir, collect)

    def _build(self, out_dir: Path, collect: bool) -> BuildResult:
        """scan -> load -> outputs -> key -> decide -> write -> save, each phase timed."""
        started = time.perf_counter()
        where = self._where(out_dir)
        manifest = decode(Manifest, self.store.value(f"manifest:{where}")) if self.store else None
        inputs = self._timed("scan", self._scan, f"manifest:{where}") if self.use_cache else None
        if inputs is not None and manifest is not None and self._nothing_changed(
            inputs, manifest, out_dir
        ):
            self._save()
            files = OutputFiles(out_dir, list(manifest.files))
            site = self._unchanged_site(inputs, manifest)
            return BuildResult(site, out_dir, files, len(files), time.perf_counter() - started)
        site = self._timed("load", self._load_checked, inputs)
        site, renderer, outputs = self._timed("outputs", self._outputs, site, out_dir)
        known = manifest.files if manifest is not None else {}
        claim = self._claim(out_dir, where, known, outputs)
        keying = self._timed("keys", self._key, site, renderer, outputs, where, known)
        job = decide(out_dir, outputs, keying.keys, known, claim)
        if collect:
            # Making and keying ten thousand pages leaves no cycles, and collecting while
            # they were made cost 0.2 s of making them and 0.25 s of keying a new post at
            # 10,000 posts.
            self._collect_from_here()
        written = self._timed("render+write", self._write, site, job, claim, keying)
        self._timed("save", self._save_build, site, where, written, keying)
        files = OutputFiles(out_dir, [out.path for out in outputs])
        return BuildResult(
            site, out_dir, files, len(files), time.perf_counter() - started,
            rendered=self.rendered, changed=written.changed, keyed=keying.keyed, laps=self.laps,
        )

    def _where(self, out_dir: Path) -> str:
        """The output folder's name in the cache: relative to the site when inside it (a
        clone elsewhere, in CI, finds it too)."""
        resolved, root = out_dir.resolve(), self.config.root.resolve()
        return resolved.relative_to(root).as_posix() if resolved.is_relative_to(root) else str(resolved)

    def _nothing_changed(self, inputs: Inputs, manifest: Manifest, out_dir: Path) -> bool:
        """No input changed, no scheduled post went live, and the folder is as left."""
        horizon = manifest.horizon
        return manifest.input == inputs.digest and (
            horizon is None or self.now.timestamp() < horizon
        ) and intact(out_dir, manifest)

    def _unchanged_site(self, inputs: Inputs, manifest: Manifest) -> Site:
        """The site of an unchanged build, loaded from the cache only if someone looks."""
        config, include_drafts, strict, now = self.config, self.include_drafts, self.strict, self.now

        def load() -> Site:
            builder = Builder(config, include_drafts=include_drafts, strict=strict, now=now)
            try:
                return builder.load(inputs)
            finally:
                builder.close()

        warnings = tuple(Problem(display_path(w.path), w.message, w.hint, w.line, warning=True)
                         for w in manifest.warnings)
        return LazySite.deferred(config, now=now, include_drafts=include_drafts,
                                 warnings=warnings, count=manifest.posts, load=load)

    def _claim(
        self, out_dir: Path, where: str, known: dict[str, FileEntry], outputs: list[Output]
    ) -> OutputClaim:
        """What blogsite wrote in the folder (the only files it may replace or delete)."""
        record = owned_record(self.config.root, where)
        recorded = read_owned(record, where)
        if recorded is None and known:
            recorded = frozenset(known)
        produced = frozenset(out.path for out in outputs)
        owned = claim_output(out_dir, recorded, produced, self.keep_unknown)
        return OutputClaim(record, where, owned, produced, out_dir.is_dir())

    def _key(
        self, site: Site, renderer: Renderer, outputs: list[Output], where: str,
        known: dict[str, FileEntry],
    ) -> Keying:
        """Every output's key (blogsite.build.reuse), from what the last build into this
        folder left; without a cache, none is keyed."""
        store, inputs = self.store, self.inputs
        if inputs is None:
            return Keying([None] * len(outputs), [None] * len(outputs))
        graph = None
        if store is not None and known:
            graph = last_graph(store.value(f"graph:{where}"), store.value(f"idents:{where}"))
        before = Before({rel: e.key for rel, e in known.items()}, graph)
        return reuse.key_all(outputs, site, renderer, inputs, before, store)

    def _write(self, site: Site, job: WriteJob, claim: OutputClaim, keying: Keying) -> Written:
        """Render what changed and commit it: staged, or in place (blogsite.build.writer)."""
        limits = self.options.thresholds
        prefetch = max(limits.prefetch_min, len(site.all_posts) // limits.prefetch_share)
        if len(job.todo) > prefetch and self.contents is not None:
            # Before the render workers fork: they inherit what is read here.
            self.contents.prefetch(site.all_posts)
        self.rendered += sum(1 for i in job.todo if job.outputs[i].source is None)
        try:
            return write(job, claim, self._render, limits)
        finally:
            if self.contents is not None:
                # Every post's summary: 150 MB at 100,000 posts, freed before the save.
                self.contents.prefetched = {}

    def _save_build(self, site: Site, where: str, written: Written, keying: Keying) -> None:
        """The manifest, and what each page was keyed from, for the next build."""
        store, entries = self.store, written.entries
        if store is not None and self.inputs is not None:
            warnings = [StoredWarning(os.path.abspath(p.file), p.message, p.hint, p.line)
                        for p in site.warnings]
            manifest = Manifest(self.inputs.digest, next_scheduled(site, self.now),
                                len(site.posts), warnings, entries)
            store.begin()
            store.put_value(f"manifest:{where}", encode(manifest))
            for name, value in reuse.to_save(keying, entries):
                store.put_value(f"{name}:{where}", encode(value))
            store.commit()
        self._save()
