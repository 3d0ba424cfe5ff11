"""One build, as a table of contents: scan -> load -> key -> decide -> write -> save
(Builder._build). See docs/performance.md for the picture.

A build reads every input (posts, pages, theme, static files, site.toml, the syndication
record), parses the posts the cache does not know, keys every output (blogsite.build.keys: a
page's key covers its templates and the data it shows), decides which outputs are
unchanged, and has the writer (blogsite.build.writer) render and commit the others, staged or in
place. Nothing is written until every page rendered without error, so a failed build
leaves the previous site exactly as it was, and the result is byte for byte the one of a
build from scratch without cache (tests/test_incremental.py). When no input changed and
the output folder still holds what the last build wrote, the build stops after the scan.

Its parts live beside it: inputs.py (what is read), load.py and posts.py (posts as the
cache keeps them), manifest.py (what the last build left), output.py (the folder and
the record of what blogsite wrote there), writer.py, parallel.py, options.py.
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
from typing import TYPE_CHECKING, Any

from blogsite.build.inputs import Inputs, builtin_theme_dir, scan_inputs
from blogsite.build.keys import GROUP_BITS, GROUPS, plain_groups
from blogsite.build.load import KeptPost, load_site_cached
from blogsite.build.manifest import (
    MANIFEST_FORMAT,
    FileEntry,
    affected,
    intact,
    next_scheduled,
    read_graph,
    read_manifest,
    read_shapes,
    still_there,
    stored_files,
)
from blogsite.build.options import BuildOptions
from blogsite.build.output import (
    OutputFiles,
    check_output_dir,
    claim_output,
    holds_only,
    owned_record,
    read_owned,
    write_owned,
)
from blogsite.build.posts import Contents, Row, groups_of, read_stored
from blogsite.build.store import (
    StatCache,
    Store,
    code_fingerprint,
    digest,
)
from blogsite.build.writer import WriteJob, Written, write_in_place, write_staged
from blogsite.config import Config
from blogsite.errors import BlogsiteError, Problem, display_path
from blogsite.post import Post, source_of
from blogsite.site import (
    LazySite,
    Site,
    load_site,
)

if TYPE_CHECKING:
    from blogsite.render import Output, Renderer



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


@dataclass(frozen=True)
class OutputClaim:
    """The output folder as this build may touch it (blogsite.build.output)."""

    record: Path  # the record of the files blogsite wrote there
    where: str  # the folder's name in the cache
    owned: frozenset[str]  # what blogsite wrote there: the only files it replaces or deletes
    produced: frozenset[str]  # what this build makes
    on_disk: bool  # whether the folder exists


@dataclass
class Keying:
    """The key phase's findings, kept for the next build (Builder._save_build)."""

    keys: list[str | None]  # by output
    reused: set[int] = field(default_factory=set)  # outputs whose key needed no computing
    graph: dict | None = None  # this build's site structure (Builder._graph)
    reusable: dict[int, int] | None = None  # posts changed since the last build, if comparable
    old_deps: dict[str, list[int]] = field(default_factory=dict)
    shaped: dict[int, tuple[str, list[int]]] | None = None  # post pages' shapes
    old_shapes: dict[str, list] = field(default_factory=dict)


def syndication_lookup(config: Config):
    """Links to a post's syndicated copies, read from the syndication record."""
    from blogsite.publish.ledger import load_ledger

    ledger = load_ledger(config.root)
    return ledger.links_for if ledger.entries else _no_links


def _no_links(post: Post) -> list[tuple[str, str]]:
    return []


def plan(
    config: Config,
    *,
    include_drafts: bool = False,
    strict: bool = False,
    now: datetime | None = None,
    session: Session | None = None,
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
    config: Config,
    *,
    output: str | Path | None = None,
    include_drafts: bool = False,
    strict: bool = False,
    now: datetime | None = None,
    options: BuildOptions | None = None,
    keep_unknown: bool = False,
) -> BuildResult:
    """Build the site into its output folder (default from site.toml).

    With `options.cache` off, the reference build: from scratch, serially, without the
    cache of .blogsite-cache/ (only the record of the files it wrote, see blogsite.build.output).
    A non-empty output folder blogsite has no record of writing is refused unless
    `keep_unknown`, which keeps its files and builds around them.
    """
    out_dir = config.output_dir(output)
    builder = Builder(config, include_drafts=include_drafts, strict=strict, now=now,
                      options=options)
    builder.keep_unknown = keep_unknown
    try:
        return builder.build(out_dir)
    finally:
        builder.close()


def _add_problems(problems: list[Problem], new: list[Problem]) -> None:
    for p in new:
        if p not in problems:
            problems.append(p)


class Session:
    """What `blogsite serve` keeps between rebuilds: parsed posts and rendered pages."""

    def __init__(self) -> None:
        self.stat = StatCache()
        self.records: dict[str, Row] = {}  # the cache's rows of the posts parsed
        self.pages: dict[str, tuple[str, bytes]] = {}  # output path -> (key, bytes)
        self.posts: dict[tuple[str, str], KeptPost] = {}  # (key, path) -> post
        self.theme: tuple[str, Any] | None = None  # (digest of the theme files, Theme)
        # What each page was keyed from, and the site's structure then (Builder._graph).
        self.deps: dict[str, list[int]] = {}
        self.graph: dict | None = None


@contextmanager
def _collector_paused(options: BuildOptions) -> Iterator[bool]:
    """The garbage collector off (if it was on, unless options.collect_always), then as it
    was; yields whether it was paused. Reading the cache and loading the site make a few
    hundred thousand objects and no cycles worth collecting: the collector would only walk
    them again and again."""
    collect = not options.collect_always and gc.isenabled()
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
        self,
        config: Config,
        *,
        include_drafts: bool = False,
        strict: bool = False,
        now: datetime | None = None,
        session: Session | None = None,
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
        self.keyed = 0  # page keys this build computed (the others were reused)
        self.laps: dict[str, float] = {}
        self._last = time.perf_counter()
        self.defer_keys = False
        self.frozen = False
        self.contents: Contents | None = None  # set by load()
        self.live_keys: set[str] | None = None  # the records this build uses, set by load()
        self.warning_sources: list[list] | None = None  # set by load()
        self.keep_unknown = False
        self.deps: list[list[int] | None] = []  # by output: the posts its key covers
        self.graph: dict | None = None

    def _lap(self, name: str) -> None:
        now = time.perf_counter()
        self.laps[name] = self.laps.get(name, 0.0) + now - self._last
        self._last = now

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

    # --- reading

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
        settings = json.dumps(
            [MANIFEST_FORMAT, self.code, self.include_drafts, self.strict, extra]
        )
        # A first build (an empty cache) leaves hashing the posts to the parsing workers.
        defer = self.session is None and self.store is not None and self.store.empty()
        self.inputs = scan_inputs(self.config, stat, settings, defer=defer)
        return self.inputs

    def load(self, inputs: Inputs) -> Site:
        return load_site_cached(self, inputs)

    def _theme_digest(self) -> str | None:
        if self.inputs is None:
            return None
        roots = (str(self.config.root / "theme") + os.sep, str(builtin_theme_dir()) + os.sep)
        return digest(
            json.dumps(
                sorted((p, d) for p, d in self.inputs.files.items() if p.startswith(roots))
            ).encode("utf-8", "surrogateescape")
        )

    def _renderer(self, site: Site):
        from blogsite.render import Renderer
        from blogsite.theme import Theme

        theme_digest = self._theme_digest()
        session = self.session
        if session is not None and session.theme is not None and theme_digest is not None and (
            session.theme[0] == f"{theme_digest}\0{self.config.root}"
        ):
            theme = session.theme[1]  # its compiled templates too
        else:
            theme = Theme(self.config.root)
            if session is not None and theme_digest is not None:
                session.theme = (f"{theme_digest}\0{self.config.root}", theme)
        # Compiling every template to find syntax errors costs a tenth of a second: skipped
        # when these very template files passed before.
        if self.store is not None and theme_digest is not None:
            checked = "theme-ok:" + theme_digest
            if self.store.blob(checked) is None:
                theme_problems = theme.check()
                if theme_problems:
                    raise BlogsiteError(list(site.warnings) + theme_problems)
                self.store.begin()
                self.store.put_blob(checked, b"1")
                self.store.commit()
        else:
            theme_problems = theme.check()
            if theme_problems:
                raise BlogsiteError(list(site.warnings) + theme_problems)
        renderer = Renderer(site, theme, syndication_lookup(self.config))
        if self.store is not None:
            memo = self.store.value("templates")
            if isinstance(memo, dict):
                renderer.template_memo.update(
                    (k, v) for k, v in memo.items()
                    if isinstance(v, list) and len(v) == 4
                    and isinstance(v[0], list) and all(isinstance(a, str) for a in v[0])
                    and isinstance(v[1], list) and all(isinstance(a, str) for a in v[1])
                    and isinstance(v[2], bool)
                    and isinstance(v[3], list) and all(isinstance(a, str) for a in v[3])
                )
            self._template_memo = renderer.template_memo
            self._template_memo_size = len(renderer.template_memo)
        return renderer

    def _load_checked(self, inputs: Inputs | None) -> Site:
        """The site, with the theme's problems reported alongside the posts' ones."""
        from blogsite.theme import Theme

        try:
            if not self.use_cache or inputs is None:
                # The reference build: the plain loader, serial, nothing kept.
                site = load_site(
                    self.config, include_drafts=self.include_drafts, strict=self.strict,
                    now=self.now,
                )
            else:
                loaded = self.load(inputs)
                assert loaded is not None  # None only when asked for cached posts only
                site = loaded
        except BlogsiteError as exc:
            raise BlogsiteError(Theme(self.config.root).check() + exc.problems) from None
        assert site is not None
        return site

    def _site_and_renderer(self):
        inputs = self._scan() if self.use_cache else None
        site = self._load_checked(inputs)
        return site, self._renderer(site)

    def _with_broken_links(self, site: Site, outputs: list[Output]) -> Site:
        """The site with a warning for each local link no output answers (an error for
        --strict); its warnings kept for a build that finds nothing changed."""
        from blogsite.links import broken_links

        found = broken_links(site, {o.path for o in outputs})
        if found and self.strict:
            raise BlogsiteError([p.as_error() for p in (*site.warnings, *found)])
        if found:
            site = dataclasses.replace(site, warnings=(*site.warnings, *found))
        sources = getattr(self, "warning_sources", None)
        if sources is not None:  # with the files' full paths, as load() keeps them
            sources[:] = [[os.path.abspath(p.file), p.message, p.hint, p.line]
                          for p in site.warnings]
        return site

    # --- in memory (serve, check)

    def plan(self) -> tuple[Site, dict[str, bytes | Path]]:
        # In `serve` the collector also walked the session's pages and the last site on
        # every pass: a third of a saved edit's rebuild at 10,000 posts.
        with _collector_paused(self.options) as collect:
            return self._plan(collect)

    def _plan(self, collect: bool) -> tuple[Site, dict[str, bytes | Path]]:
        site, renderer = self._site_and_renderer()
        outputs = renderer.outputs()
        site = self._with_broken_links(site, outputs)
        session = self.session
        files: dict[str, bytes | Path] = {}
        todo: list[int] = []
        keys: dict[int, str | None] = {}
        graph = None
        reusable = None
        deps: dict[str, list[int]] = {}
        if session is not None and self.inputs is not None:
            # As a build does: with the same structure, only the pages showing a post that
            # changed are keyed again (a save is one post's body, most of the time).
            graph = self._graph(site, renderer, self.inputs)
            reusable = self._reusable(session.graph, graph)
        for i, out in enumerate(outputs):
            if out.source is not None:
                files[out.path] = out.source
                continue
            key = None
            if session is not None and out.key is not None:
                old = session.pages.get(out.path)
                before = session.deps.get(out.path) if reusable is not None else None
                if old is not None and before is not None and not affected(before, reusable):
                    keys[i] = old[0]
                    files[out.path] = old[1]
                    deps[out.path] = before
                    continue
                key, found = self._key_function(out, graph)()
                if found is not None:
                    deps[out.path] = found
            keys[i] = key
            if session is not None and key is not None:
                old = session.pages.get(out.path)
                if old is not None and old[0] == key:
                    files[out.path] = old[1]
                    continue
            todo.append(i)
        if collect:
            self._collect_from_here()  # `serve` sweeps each old site later
        self.rendered += len(todo)
        rendered = self._render([outputs[i].render for i in todo], None)
        for j, i in enumerate(todo):
            files[outputs[i].path] = rendered[j]
        if session is not None:
            session.pages = {
                outputs[i].path: (keys[i], files[outputs[i].path])  # type: ignore[misc]  # keys[i] not None here
                for i in keys
                if keys[i] is not None
            }
            session.deps = {path: d for path, d in deps.items() if path in session.pages}
            session.graph = (
                {"structure": graph["structure"], "paths": graph["paths"], "idents": graph["idents"]}
                if graph is not None else None
            )
        self._save()
        ordered = {out.path: files[out.path] for out in outputs}
        return site, ordered

    def _deferred_site(self, inputs: Inputs, manifest: dict) -> Site:
        """The site of an unchanged build, loaded from the cache only if someone looks."""
        config = self.config
        include_drafts, strict, now = self.include_drafts, self.strict, self.now

        def load() -> Site:
            builder = Builder(config, include_drafts=include_drafts, strict=strict, now=now)
            try:
                site = builder.load(inputs)
            finally:
                builder.close()
            assert site is not None
            return site

        warnings = tuple(
            Problem(display_path(path), message, hint, line, warning=True)
            for path, message, hint, line in manifest["warnings"]
        )
        return LazySite.deferred(
            config, now=self.now, include_drafts=self.include_drafts, warnings=warnings,
            count=manifest["count"], load=load,
        )

    def _render(
        self, renders: list[Callable[[], bytes]], sink: Callable[[int, bytes], Any] | None
    ) -> list[Any]:
        """Render every function (in parallel when many, unless the build is the serial
        reference one); raise with every problem, in output order."""
        from blogsite.build.workers import render_many

        results: list[Any] = [None] * len(renders)
        failed: dict[int, list[Problem]] = {}
        n = self.options.workers_for(len(renders), self.options.thresholds.render_workers)
        for i, value in render_many(renders, sink, n):
            if isinstance(value, list):
                failed[i] = value
            else:
                results[i] = value
        problems: list[Problem] = []
        for i in sorted(failed):
            _add_problems(problems, failed[i])
        if problems:
            raise BlogsiteError(problems)
        return results

    def _save(self) -> None:
        store = self.store
        if store is None:
            return
        store.begin()
        if self.stat is not None and self.stat.changed():
            store.put_value("stat", self.stat.fresh)
        memo = getattr(self, "_template_memo", None)
        if memo is not None and len(memo) != self._template_memo_size and len(memo) < 500:
            store.put_value("templates", memo)
        if self.live_keys is not None and self.session is None:
            store.prune(self.live_keys)
        store.commit()

    # --- into the output folder

    def build(self, out_dir: Path) -> BuildResult:
        with _collector_paused(self.options) as collect:
            return self._build(out_dir, collect)

    def _build(self, out_dir: Path, collect: bool) -> BuildResult:
        """scan -> load -> key -> decide -> write -> save, each phase timed."""
        started = time.perf_counter()
        where = self._where(out_dir)
        manifest = read_manifest(self.store.value(f"manifest:{where}")) if self.store else None
        inputs = self._scan(extra=f"manifest:{where}") if self.use_cache else None
        if self._nothing_changed(inputs, manifest, out_dir):
            assert inputs is not None and manifest is not None
            self._save()
            files = OutputFiles(out_dir, list(manifest["files"]))
            site = self._deferred_site(inputs, manifest)
            return BuildResult(site, out_dir, files, len(files), time.perf_counter() - started)
        self._lap("scan")
        site = self._load_checked(inputs)
        self._lap("load")
        renderer = self._renderer(site)
        check_output_dir(self.config, out_dir)
        outputs = renderer.outputs()
        site = self._with_broken_links(site, outputs)
        self._lap("outputs")
        known: dict[str, FileEntry] = manifest["files"] if manifest is not None else {}
        claim = self._claim(out_dir, where, known, outputs)
        keying = self._key_all(site, renderer, inputs, outputs, known, where)
        job = self._decide(out_dir, outputs, keying.keys, known, claim)
        self._lap("keys")
        if collect:
            # Making and keying ten thousand pages leaves no cycles, and collecting while
            # they were made cost 0.2 s of making them and 0.25 s of keying a new post at
            # 10,000 posts.
            self._collect_from_here()
        written = self._write(site, job, claim, keying)
        self._lap("render+write")
        if inputs is not None:
            self._save_build(site, inputs, where, written.entries, keying)
        self._save()
        self._lap("save")
        files = OutputFiles(out_dir, [out.path for out in outputs])
        return BuildResult(
            site, out_dir, files, len(files), time.perf_counter() - started,
            rendered=self.rendered, changed=written.changed, keyed=self.keyed, laps=self.laps,
        )

    def _where(self, out_dir: Path) -> str:
        """The output folder's name in the cache: relative to the site when inside it (a
        clone elsewhere, in CI, finds it too)."""
        resolved = out_dir.resolve()
        root = self.config.root.resolve()
        return resolved.relative_to(root).as_posix() if resolved.is_relative_to(root) else str(resolved)

    def _nothing_changed(self, inputs: Inputs | None, manifest: dict | None, out_dir: Path) -> bool:
        """No input changed, no scheduled post went live, and the folder is as left."""
        if inputs is None or manifest is None or manifest["input"] != inputs.digest:
            return False
        horizon = manifest["horizon"]
        return (horizon is None or self.now.timestamp() < horizon) and intact(out_dir, manifest)

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

    def _key_all(
        self, site: Site, renderer: Renderer, inputs: Inputs | None, outputs: list[Output],
        known: dict[str, FileEntry], where: str,
    ) -> Keying:
        """Every output's key: the last build's where its posts did not change, the
        stored shape's for post pages of the same shape, computed for the others. Without
        a manifest every page renders: keys are then computed by the workers that render."""
        self.defer_keys = not known and self.use_cache
        keying = Keying(keys=[None] * len(outputs))
        self.deps = [None] * len(outputs)
        if inputs is not None:
            self._reuse_keys(site, renderer, inputs, outputs, known, where, keying)
        keyed = [
            i for i, out in enumerate(outputs)
            if out.source is None and out.key is not None and self.use_cache
            and not self.defer_keys and i not in keying.reused
        ]
        for i, out in enumerate(outputs):
            if out.source is not None:
                d = inputs.files.get(str(out.source)) if inputs is not None else None
                keying.keys[i] = f"copy:{d}" if d else None
        self.keyed = len(keyed)
        if keyed:
            from blogsite.build.workers import call_many

            found = call_many(
                [self._key_function(outputs[i], keying.graph) for i in keyed],
                self.options.workers_for(len(keyed), self.options.thresholds.key_workers),
            )
            for i, (key, deps) in zip(keyed, found, strict=True):
                keying.keys[i], self.deps[i] = key, deps
        return keying

    def _reuse_keys(
        self, site: Site, renderer: Renderer, inputs: Inputs, outputs: list[Output],
        known: dict[str, FileEntry], where: str, keying: Keying,
    ) -> None:
        """The keys that need no computing (see _key_all), into keying.reused."""
        graph = keying.graph = self.graph = self._graph(site, renderer, inputs)
        old_graph = None
        if known and self.store is not None:
            old_graph = read_graph(
                self.store.value(f"graph:{where}"), self.store.value(f"idents:{where}")
            )
        reusable = keying.reusable = self._reusable(old_graph, graph)
        keying.old_deps = old_graph["deps"] if old_graph is not None else {}
        if reusable is None and self.store is not None:
            # The site's structure changed (a post added, or a first build): the post pages
            # whose shape is the one a build like this stored keep the key stored with it.
            self._lap("graph")
            keying.shaped = self._shapes(outputs, graph, site)
            self._lap("shapes")
            if known:
                keying.old_shapes = read_shapes(self.store.value(f"shapes:{where}"))
        if self.defer_keys or not self.use_cache:
            return
        for i, out in enumerate(outputs):
            if out.source is not None or out.key is None:
                continue
            entry = known.get(out.path) if reusable is not None else None
            deps = keying.old_deps.get(out.path) if entry is not None else None
            shape = keying.shaped.get(i) if keying.shaped is not None else None
            stored = keying.old_shapes.get(out.path) if shape is not None else None
            if entry is not None and deps is not None and not affected(deps, reusable):
                # Same site structure, and none of the posts this page shows changed.
                keying.keys[i], self.deps[i] = entry.key, deps
                keying.reused.add(i)
            elif shape is not None and stored is not None and stored[0] == shape[0]:
                keying.keys[i], self.deps[i] = stored[1], shape[1]
                keying.reused.add(i)

    @staticmethod
    def _decide(
        out_dir: Path, outputs: list[Output], keys: list[str | None],
        known: dict[str, FileEntry], claim: OutputClaim,
    ) -> WriteJob:
        """Each output unchanged (same key, its file still there) or to render."""
        old = {rel: e for rel, e in known.items() if rel in claim.owned} if claim.on_disk else {}
        job = WriteJob(out_dir, outputs, keys, [], {}, old, claim.owned)
        base = os.path.join(str(out_dir), "")
        for i, out in enumerate(outputs):
            key = keys[i]
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

    def _write(self, site: Site, job: WriteJob, claim: OutputClaim, keying: Keying) -> Written:
        """Render what changed and commit it: staged, or in place (blogsite.build.writer)."""
        limits = self.options.thresholds
        prefetch = max(limits.prefetch_min, len(site.all_posts) // limits.prefetch_share)
        if len(job.todo) > prefetch and self.contents is not None:
            # Before the render workers fork: they inherit what is read here.
            self.contents.prefetch(site.all_posts)
        self._lap("prefetch")
        many = len(job.todo) > max(limits.in_place_max, len(job.outputs) // limits.in_place_share)
        # A folder that holds anything blogsite did not write is never swapped out: the
        # site is written around those files, in place.
        staged = (not job.old or many) and (
            not claim.on_disk or holds_only(job.out_dir, claim.owned)
        )
        if self.defer_keys:
            job.late_keys = {
                i: self._key_function(job.outputs[i], keying.graph) for i in job.todo
                if job.outputs[i].source is None and job.outputs[i].key is not None
            }
        # Recorded before any file is written: whatever a build dies after is ours.
        write_owned(claim.record, claim.where, claim.owned | claim.produced)
        self.rendered += sum(1 for i in job.todo if job.outputs[i].source is None)
        written = (write_staged if staged else write_in_place)(job, self._render)
        write_owned(claim.record, claim.where, claim.produced)
        for i, found in written.deps.items():
            self.deps[i] = found
        return written

    def _save_build(
        self, site: Site, inputs: Inputs, where: str, entries: dict[str, FileEntry],
        keying: Keying,
    ) -> None:
        """The manifest, and what each page was keyed from, for the next build."""
        if self.store is None:
            return
        data = {
            "format": MANIFEST_FORMAT,
            "input": inputs.digest,
            "horizon": next_scheduled(site, self.now),
            "count": len(site.posts),
            "warnings": self.warning_sources,
            "files": stored_files(entries),
        }
        self.store.begin()
        self.store.put_value(f"manifest:{where}", data)
        graph = keying.graph
        if graph is not None:
            # Read by the next build that is not a no-change build, kept apart so that those
            # stay quick, and written again only when it changed (it rarely does).
            paths = list(entries)  # in output order
            deps = {rel: d for rel, d in zip(paths, self.deps, strict=True) if d is not None}
            if keying.reusable is None or deps != keying.old_deps:
                self.store.put_value(
                    f"graph:{where}",
                    {"structure": graph["structure"], "paths": graph["paths"], "deps": deps},
                )
            self.store.put_value(
                f"idents:{where}", {"structure": graph["structure"], "idents": graph["idents"]}
            )
        if keying.shaped is not None:
            self._save_shapes(where, entries, keying)
        self.store.commit()

    def _save_shapes(self, where: str, entries: dict[str, FileEntry], keying: Keying) -> None:
        assert self.store is not None and keying.shaped is not None
        paths = list(entries)  # in output order
        shapes = {
            paths[i]: [shape, entries[paths[i]].key]
            for i, (shape, _deps) in keying.shaped.items()
            if type(entries[paths[i]].key) is str
        }
        if shapes != keying.old_shapes:
            self.store.put_value(f"shapes:{where}", shapes)

    # --- what each page was made from

    def _graph(self, site: Site, renderer, inputs: Inputs) -> dict:
        """The posts of the site (paths, identities), and a digest of its structure: all
        but the bodies of posts. Two builds with the same structure differ only in bodies,
        and a page's key can only change if it shows a post whose body changed."""
        items = [*site.all_posts, *site.pages]
        paths = [source_of(p) for p in items]
        if not renderer.reads_source():
            # Named from the site's folder: the same site cloned elsewhere (a CI checkout in
            # a folder of its own) has the same structure and shapes, so keeps its keys.
            root = os.path.join(str(self.config.root), "")
            paths = [p[len(root):] if p.startswith(root) else p for p in paths]
        idents = []
        all_groups = []
        parts = [inputs.settings, *inputs.others]
        for p, path in zip(items, paths, strict=True):
            groups = plain_groups(p)
            all_groups.append(groups)
            # What a post is: its cache record (whose field groups the store keeps), or for
            # a post that could not be stored, its field groups themselves.
            ident = p.stored.key if p.stored else "u:" + ",".join(groups[g] for g in GROUPS)
            idents.append(ident)
            # Pages whole (they are in every page's globals); posts but their bodies.
            shown = ident if p.is_page else groups["meta"]
            parts.append(f"{path}\0{shown}\0{p.url}\0{site.is_published(p)}")
        return {
            "structure": digest("\n".join(parts).encode("utf-8", "surrogateescape")),
            "paths": paths,
            "idents": idents,
            "groups": all_groups,
            "index": {id(p): i for i, p in enumerate(items)},
            "items": items,
            "fingerprints": renderer.fingerprints,
        }

    @staticmethod
    def _shapes(outputs: list[Output], graph: dict, site: Site) -> dict[int, tuple[str, list[int]]]:
        """For each post page (its index in outputs): a digest of its shape, and the posts
        its key covers (deps, as Builder._key_function makes them). Two builds' pages of
        equal shape digests have equal keys (Fingerprints.post_page_shape)."""
        index, groups, paths = graph["index"], graph["groups"], graph["paths"]
        published = site.is_published
        shown = graph["fingerprints"].shown  # the cover's size: outside the post's file
        found: dict[int, tuple[str, list[int]]] = {}
        seen: dict[int, str] = {}  # post (its index) -> what its shape is of it
        for i, out in enumerate(outputs):
            shape = out.shape() if out.shape is not None else None
            if shape is None:
                continue
            base, posts, plain = shape
            parts = [base.hex(), plain]
            deps: dict[int, int] = {}
            for post, bits in posts:
                if post is None:
                    parts.append("-")
                    continue
                n = index.get(id(post))
                if n is None:
                    break
                deps[n] = deps.get(n, 0) | bits
                seen_n = seen.get(n)
                if seen_n is None:
                    g = groups[n]
                    seen_n = seen[n] = (
                        f"{paths[n]}\0{post.url}\0{published(post)}\0{shown(post).hex()}\0"
                        + "\0".join([g[name] for name in GROUPS])
                    )
                parts.append(f"{bits}\0{seen_n}")
            else:
                key = digest("\x1f".join(parts).encode("utf-8", "surrogateescape"))
                found[i] = (key, sorted(n * 64 + bits for n, bits in deps.items()))
        return found

    def _reusable(self, manifest: dict | None, graph: dict) -> dict[int, int] | None:
        """None if keys must all be computed; else the posts that changed (their index)
        with the groups of fields that changed (GROUP_BITS)."""
        if manifest is None or manifest.get("structure") != graph["structure"]:
            return None
        if manifest.get("paths") != graph["paths"]:
            return None
        old = manifest.get("idents")
        if not isinstance(old, list) or len(old) != len(graph["idents"]):
            return None
        changed = {
            i: (a, b) for i, (a, b) in enumerate(zip(old, graph["idents"], strict=True)) if a != b
        }
        if not changed:
            return {}
        # Which field groups changed: the old post's are in its record, still in the store.
        stored = read_stored(self.store, [a for a, _b in changed.values()], {})
        bits: dict[int, int] = {}
        for i, (a, _b) in changed.items():
            before = groups_of(a, stored)
            after = plain_groups(graph["items"][i])
            if before is None:
                bits[i] = sum(GROUP_BITS.values())  # unknown: every group changed
            else:
                bits[i] = sum(GROUP_BITS[g] for g in GROUPS if before.get(g) != after.get(g))
        return bits

    @staticmethod
    def _key_function(out: Output, graph: dict | None) -> Callable[[], tuple]:
        def key() -> tuple[str | None, list[int] | None]:
            if graph is None:
                return out.key(), None  # type: ignore[misc]  # pages with a key function only
            fingerprints = graph["fingerprints"]
            fingerprints.last_deps = {}
            found = out.key()  # type: ignore[misc]  # pages with a key function only
            index = graph["index"]
            # Each post (its index) with the groups of its fields the key covers, in one int.
            deps = sorted(
                index[d] * 64 + bits for d, bits in fingerprints.last_deps.items() if d in index
            )
            return found, deps if found is not None else None

        return key
