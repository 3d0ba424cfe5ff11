"""Plan every output file, render what changed, and update the output folder safely.

A build reads every input (posts, pages, theme, static files, site.toml, the syndication
record), parses the posts the cache does not know, and renders the pages whose key changed
(blogsite.deps: a page's key covers its templates and the data it shows). Nothing is
written until every page rendered without error:

- a first build (no manifest for the output folder) writes a complete new site into a
  staging folder next to the output and swaps it in with two renames;
- a later build writes only the files whose bytes changed, each through a temporary file
  and os.replace, and deletes the files the previous build wrote that are no longer
  produced (never any other file). When most of the site changes, it builds a staging
  folder instead, hard-linking the unchanged files into it;
- when no input changed and the output folder still holds what the last build wrote, the
  build stops right there.

So a failed build leaves the previous site exactly as it was, and the result is byte for
byte the one of a build from scratch without cache (tests/test_incremental.py). See
docs/performance.md. Its parts live beside it: inputs.py (what is read), records.py (posts
as the cache keeps them), manifest.py (what the last build left), output.py (the folder).
"""

from __future__ import annotations

import dataclasses
import gc
import json
import os
import shutil
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from blogsite import snapshot
from blogsite.cache import (
    PageStore,
    StatCache,
    Store,
    cache_disabled,
    code_fingerprint,
    digest,
)
from blogsite.comments import folder_for
from blogsite.config import Config
from blogsite.deps import GROUP_BITS, GROUPS, plain_groups
from blogsite.errors import BlogsiteError, Problem, display_path
from blogsite.inputs import Inputs, builtin_theme_dir, scan_inputs
from blogsite.layout import Layout, staging_dir
from blogsite.manifest import (
    MANIFEST_FORMAT,
    affected,
    intact,
    next_scheduled,
    read_graph,
    read_manifest,
    read_shapes,
    same_stat,
)
from blogsite.output import (
    OutputFiles,
    check_output_dir,
    claim_output,
    holds_only,
    interrupts_held,
    owned_record,
    read_owned,
    remove_output_file,
    write_owned,
)
from blogsite.post import Post, with_url
from blogsite.records import Contents, groups_of, parse_records
from blogsite.site import (
    LazySite,
    Site,
    assemble_site,
    load_site,
    url_maker,
)

if TYPE_CHECKING:
    from blogsite.render import Output

# Above this many files to write, a build stages a whole new folder (with hard links for
# the unchanged files) rather than replacing files one by one in place.
IN_PLACE_MAX = 400
# Pages to render from which the listings' summaries are read all at once first (and a
# fortieth of the posts: on a large site, a few pages read fewer than the whole blob holds).
PREFETCH_MIN = 20
# Pages to write in place from which stale kept pages are looked for, to write them into.
SPARES_MIN = 50
# Changed pages a fresh clone renders into memory while its folder is laid out; above
# this many, they are rendered and written by the workers once it is (memory stays flat).
EARLY_MAX = 3000


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
    config: Config,
    *,
    include_drafts: bool = False,
    strict: bool = False,
    now: datetime | None = None,
    session: Session | None = None,
) -> tuple[Site, dict[str, bytes | Path]]:
    """Load and render the whole site in memory; raise BlogsiteError with every problem.

    Parsed posts come from the build cache; `blogsite serve` passes a Session, which also
    keeps the rendered pages between calls and renders only the pages whose key changed.
    """
    builder = Builder(config, include_drafts=include_drafts, strict=strict, now=now,
                      session=session)
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
    cache: bool | None = None,
    keep_unknown: bool = False,
) -> BuildResult:
    """Build the site into its output folder (default from site.toml).

    `cache=False` (or BLOGSITE_CACHE=0 in the environment) builds from scratch, serially,
    without the cache of .blogsite-cache/ (only the record of the files it wrote, see
    blogsite.output). A non-empty output folder blogsite has no record of writing is
    refused unless `keep_unknown`, which keeps its files and builds around them.
    """
    out_dir = config.output_dir(output)
    builder = Builder(config, include_drafts=include_drafts, strict=strict, now=now, cache=cache)
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
        # key -> (record, (content, extra)), JSON
        self.records: dict[str, tuple[str, tuple[str, str]]] = {}
        self.pages: dict[str, tuple[str, bytes]] = {}  # output path -> (key, bytes)
        self.posts: dict[tuple[str, str], tuple[Post, list]] = {}  # (key, path) -> post
        self.theme: tuple[str, Any] | None = None  # (digest of the theme files, Theme)
        # What each page was keyed from, and the site's structure then (Builder._graph).
        self.deps: dict[str, list[int]] = {}
        self.graph: dict | None = None


@contextmanager
def _collector_paused() -> Iterator[bool]:
    """The garbage collector off (if it was on and BLOGSITE_GC is not 1), then as it was;
    yields whether it was paused. Reading the cache and loading the site make a few hundred
    thousand objects and no cycles worth collecting: the collector would only walk them
    again and again."""
    collect = os.environ.get("BLOGSITE_GC") != "1" and gc.isenabled()
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
        cache: bool | None = None,
        session: Session | None = None,
    ) -> None:
        self.config = config
        self.include_drafts = include_drafts
        self.strict = strict
        self.now = now or datetime.now(UTC)
        self.session = session
        self.use_cache = (not cache_disabled()) if cache is None else cache
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
        self.pages = PageStore(config.root) if self.store is not None else None
        self.layout: Layout | None = None
        self.contents: Contents | None = None  # set by load()
        self.live_keys: set[str] | None = None  # the records this build uses, set by load()
        self.snapshot: dict[str, snapshot.Row] = {}
        self.snapshot_hits = 0
        self.snapshot_urls: dict[str, str] = {}
        self.snapshot_urls_foreign = False
        self.url_setting = ""
        self.keep_unknown = False

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

    def load(self, inputs: Inputs, *, only_cached: bool = False) -> Site | None:
        """The site from cached records, parsing (in parallel) the files the cache lacks.
        With only_cached, None when any file would need parsing."""
        from blogsite.post import CachedPost

        config = self.config
        zone_key = config.site.timezone
        lang = config.site.language
        env = f"{self.code}\0{zone_key}\0{lang}"
        jobs = [("post", rel, path, d) for rel, path, d in inputs.posts]
        jobs += [("page", rel, path, d) for rel, path, d in inputs.pages]
        keys = [
            digest(
                f"{env}\0{kind}\0{rel}\0{d}\0{inputs.comments_key(kind, rel)}"
                .encode("utf-8", "surrogateescape")
            ) if d else None
            for kind, rel, _path, d in jobs
        ]
        records: dict[str, str | bytes] = {}
        memory = self.session.records if self.session is not None else None
        kept = self.session.posts if self.session is not None else {}
        # `serve` keeps its posts in memory; a build reads the last build's snapshot first.
        url_setting = f"{config.site.permalink}\0{zone_key}"
        snap, snap_urls = (
            snapshot.loads(self.store.blob(snapshot.BLOB), url_setting)
            if self.store is not None and memory is None else ({}, {})
        )
        self.snapshot = snap
        self.url_setting = url_setting
        # URLs made under another permalink or zone: written again with this build's.
        self.snapshot_urls_foreign = bool(snap) and not snap_urls
        # key -> URL of every post loaded: what the next snapshot holds, if one is written.
        live_urls: dict[str, str] = {}
        hits = 0
        if memory is not None:
            for key, job in zip(keys, jobs, strict=True):
                # A post `serve` kept from the last rebuild is used as it is: its record
                # need not be parsed again.
                if key is not None and key in memory and (key, job[2]) not in kept:
                    records[key] = memory[key][0]
        if self.store is not None:
            wanted = [
                k for k, (_kind, _rel, path, _d) in zip(keys, jobs, strict=True)
                if k is not None and k not in records and (k, path) not in kept
                and k not in snap
            ]
            records.update(self.store.records(wanted))
        # Every record to use, parsed in one go (one JSON document, not thousands) and
        # checked: one that does not hold what a record holds counts as missing.
        parsed = parse_records(records)
        records = {k: v for k, v in records.items() if k in parsed}
        missing = [
            i for i, key in enumerate(keys)
            if key is None or (
                key not in records and (key, jobs[i][2]) not in kept and key not in snap
            )
        ]
        if only_cached and missing:
            return None

        fresh: dict[int, tuple] = {}
        if missing:
            from blogsite.parallel import parse_many

            # A post with comments reads its comments folder as it is parsed.
            parse_jobs = [
                (jobs[i][0], jobs[i][2], zone_key, lang,
                 str(folder_for(config.root, jobs[i][1]))
                 if inputs.comments_key(jobs[i][0], jobs[i][1]) else "")
                for i in missing
            ]
            results = parse_many(parse_jobs)
            rows = []
            for i, result in zip(missing, results, strict=True):
                file_digest, record, content, found, post = result
                kind, rel = jobs[i][0], jobs[i][1]
                if record is not None:
                    key = digest(
                        f"{env}\0{kind}\0{rel}\0{file_digest}\0{inputs.comments_key(kind, rel)}"
                        .encode("utf-8", "surrogateescape")
                    )
                    keys[i] = key
                    records[key] = record
                    if self.store is not None:
                        rows.append((key, record, content))
                        if len(rows) >= 256:  # into the store as they come: memory stays flat
                            self._put(rows)
                    if memory is not None:
                        memory[key] = (record, content)
                fresh[i] = (file_digest, found, post)
                if inputs.deferred and jobs[i][3] is None and file_digest is not None:
                    self.stat.resolve(jobs[i][2], file_digest)  # type: ignore[union-attr]
            self._put(rows)
            if inputs.deferred:
                digests = {jobs[i][2]: fresh[i][0] for i in fresh}
                inputs.posts = [(r, p, d or digests.get(p)) for r, p, d in inputs.posts]
                inputs.pages = [(r, p, d or digests.get(p)) for r, p, d in inputs.pages]
                inputs.deferred = False

        contents = Contents(config, self.store, memory)
        self.contents = contents
        make_url = url_maker(config)
        zones: dict[Any, Any] = {}  # time zones by name or (offset, name)
        session_posts = self.session.posts if self.session is not None else {}
        new_posts: dict[tuple[str, str], tuple[Post, list]] = {}

        warning_sources: list[list] = []
        self.warning_sources = warning_sources
        problems: list[Problem] = []
        posts: list[Post] = []
        pages: list[Post] = []
        file_digests = {i: d for i, (_k, _r, _p, d) in enumerate(jobs)}
        for i, (kind, _rel, path, _d) in enumerate(jobs):
            key = keys[i]
            item: Post | None = None
            found_problems: list = []
            if i in fresh:
                file_digest, found_problems, post = fresh[i]
                file_digests[i] = file_digest
                item = post
            kept = session_posts.get((key, path)) if key is not None else None
            row = snap.get(key) if key is not None and item is None else None  # type: ignore[arg-type]
            if row is not None:
                hits += 1
            elif item is None and kept is None and key is not None and key in records:
                record = parsed.get(key) or json.loads(records[key])  # fresh ones: valid
                row = snapshot.row_from_record(record)
                assert row is not None  # parse_records and parse_source: exactly its fields
            if row is not None:
                fields = snapshot.fields_of(row, zones)
                if i not in fresh:
                    found_problems = row[2]
                url = snap_urls.get(key)  # type: ignore[arg-type]
                if url is None:
                    url = (
                        f"/{fields['slug']}/" if kind == "page"
                        else make_url(fields["date"], fields["slug"], fields["lang"])
                    )
                fields["url"] = url
                item = CachedPost.lazy(
                    contents,
                    {
                        "_path": path,
                        "_key": key,
                        "_digest": file_digests[i],
                        "_words": row[0],
                        "_groups": dict(zip(GROUPS, row[1], strict=True)),
                    },
                    fields,
                )
            elif item is None and kept is not None:
                item, found_problems = kept
                url = (
                    f"/{item.slug}/" if kind == "page"
                    else make_url(item.date, item.slug, item.lang)
                )
                item = with_url(item, url)
            if item is not None and key is not None and self.session is not None:
                new_posts[(key, path)] = (item, found_problems)
            if found_problems:
                # Problems in a post's comment files come as Problems naming those files.
                problems.extend(
                    p if isinstance(p, Problem) else Problem(display_path(path), *p)
                    for p in found_problems
                )
                warning_sources.extend(
                    [path, p[0], p[1], p[2]]
                    for p in found_problems
                    if not isinstance(p, Problem) and p[3]
                )
            if item is not None:
                (pages if kind == "page" else posts).append(item)
                if key is not None and memory is None:
                    live_urls[key] = item.url or (
                        f"/{item.slug}/" if kind == "page"
                        else make_url(item.date, item.slug, item.lang)
                    )
        self.live_keys = {k for k in keys if k is not None}
        self.snapshot_hits = hits
        self.snapshot_urls = live_urls
        if self.session is not None:
            self.session.posts = new_posts
            self.session.records = {
                k: v for k, v in self.session.records.items() if k in self.live_keys
            }
        return assemble_site(
            config, posts, pages, problems,
            include_drafts=self.include_drafts, strict=self.strict, now=self.now,
            urls_known=all(p.url for p in posts) and all(p.url for p in pages),
        )

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

    def _put(self, rows: list) -> None:
        if self.store is not None and rows:
            self.store.begin()
            self.store.put_records(rows)
            self.store.commit()
        rows.clear()

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
                site = self.load(inputs)
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
        with _collector_paused() as collect:
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
        rendered = self._render([outputs[i].render for i in todo], None)  # type: ignore[misc]
        for j, i in enumerate(todo):
            files[outputs[i].path] = rendered[j]
        if session is not None:
            session.pages = {
                outputs[i].path: (keys[i], files[outputs[i].path])  # type: ignore[misc]
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
        settings = dict(include_drafts=self.include_drafts, strict=self.strict, now=self.now)

        def load() -> Site:
            builder = Builder(config, **settings)
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

    def _render(self, renders: list[Callable[[], bytes]], sink, lazy: bool = False) -> list[Any]:
        """Render every function (in parallel when many); raise with every problem.
        With `lazy`, the sink is handed each render function rather than its bytes."""
        from blogsite.parallel import render_many

        self.rendered += len(renders)
        results: list[Any] = [None] * len(renders)
        problems: list[Problem] = []
        if not self.use_cache:
            from blogsite import parallel

            saved = parallel.RENDER_MIN
            parallel.RENDER_MIN = 1 << 62  # the reference build renders serially
            try:
                found = list(render_many(renders, sink, lazy=lazy))
            finally:
                parallel.RENDER_MIN = saved
        else:
            found = list(render_many(renders, sink, lazy=lazy))
        failed: dict[int, list[Problem]] = {}
        for i, value in found:
            if isinstance(value, list):
                failed[i] = value
            else:
                results[i] = value
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
        if self.contents is not None:
            self.contents.save_summaries()
        if self.live_keys is not None and self.session is None:
            store.prune(self.live_keys)
            if self.snapshot_urls_foreign or snapshot.stale(
                self.snapshot, self.snapshot_urls, self.snapshot_hits
            ):
                self._write_snapshot(store)
        store.commit()

    def _write_snapshot(self, store: Store) -> None:
        """The snapshot of this build's posts: the rows of the last one still live, and the
        others from their records (read now rather than kept through the build: on a first
        build, that is every post)."""
        live = self.snapshot_urls
        rows = {k: row for k, row in self.snapshot.items() if k in live}
        missing = [k for k in live if k not in rows]
        for start in range(0, len(missing), 400):  # a few at a time: memory stays flat
            for key, record in parse_records(store.records(missing[start:start + 400])).items():
                row = snapshot.row_from_record(record)
                if row is not None:
                    rows[key] = row
        urls = {k: live[k] for k in rows}
        store.put_blob(snapshot.BLOB, snapshot.dumps(rows, self.url_setting, urls))

    # --- into the output folder

    def build(self, out_dir: Path) -> BuildResult:
        with _collector_paused() as collect:
            try:
                return self._build(out_dir, collect)
            finally:
                if self.layout is not None:
                    self.layout.discard()

    def _build(self, out_dir: Path, collect: bool) -> BuildResult:
        started = time.perf_counter()
        resolved = out_dir.resolve()
        root = self.config.root.resolve()
        # Named relative to the site when inside it: a clone elsewhere (CI) finds it too.
        where = resolved.relative_to(root).as_posix() if resolved.is_relative_to(root) else resolved
        name = f"manifest:{where}"
        self.where = where
        manifest = read_manifest(self.store.value(name)) if self.store is not None else None
        if (manifest is not None and self.pages is not None and self.session is None
                and os.environ.get("BLOGSITE_LAYOUT") != "0"):
            # No output folder but a cache that knows it (a fresh clone): its folders and
            # unchanged pages are laid out while the site loads.
            self.layout = Layout.start(out_dir, manifest["files"], self.pages)
        inputs = self._scan(extra=name) if self.use_cache else None

        if inputs is not None and manifest is not None and manifest["input"] == inputs.digest:
            horizon = manifest["horizon"]
            if (horizon is None or self.now.timestamp() < horizon) and intact(out_dir, manifest):
                self._save()
                files = OutputFiles(out_dir, list(manifest["files"]))
                return BuildResult(
                    self._deferred_site(inputs, manifest), out_dir, files, len(files),
                    time.perf_counter() - started,
                )

        self._lap("scan")
        site = self._load_checked(inputs)
        self._lap("load")
        renderer = self._renderer(site)
        check_output_dir(self.config, out_dir)
        outputs = renderer.outputs()
        site = self._with_broken_links(site, outputs)
        self._lap("outputs")

        known: dict[str, list] = manifest["files"] if manifest is not None else {}
        record = owned_record(self.config.root, str(where))
        recorded = read_owned(record, str(where))
        if recorded is None and manifest is not None:
            recorded = frozenset(known)
        produced = {out.path for out in outputs}
        owned = claim_output(out_dir, recorded, produced, self.keep_unknown)
        on_disk = out_dir.is_dir()
        old = {rel: entry for rel, entry in known.items() if rel in owned} if on_disk else {}
        # Without a manifest every page is rendered: keys are then computed by the workers
        # that render (in parallel), not here.
        self.defer_keys = not known and self.use_cache
        keys: list[str | None] = [None] * len(outputs)
        self.deps: list[list[int] | None] = [None] * len(outputs)
        todo: list[int] = []
        unchanged: dict[int, list] = {}
        stored: dict[int, list] = {}  # unchanged pages to take from the page store
        keyed: list[int] = []
        graph = self._graph(site, renderer, inputs) if inputs is not None else None
        self.graph = graph
        old_graph = None
        if graph is not None and known and self.store is not None:
            old_graph = read_graph(
                self.store.value(f"graph:{where}"), self.store.value(f"idents:{where}")
            )
        reusable = self._reusable(old_graph, graph) if graph is not None else None
        old_deps = old_graph["deps"] if old_graph is not None else {}
        # The site's structure changed (a post added, or a first build): the post pages
        # whose shape is the one a build like this stored keep the key stored with it.
        shaped: dict[int, tuple[str, list[int]]] | None = None
        old_shapes: dict[str, list] = {}
        if graph is not None and reusable is None and self.store is not None:
            self._lap("graph")
            shaped = self._shapes(outputs, graph, site)
            self._lap("shapes")
            if known:
                old_shapes = read_shapes(self.store.value(f"shapes:{where}"))
        for i, out in enumerate(outputs):
            if out.source is not None:
                d = inputs.files.get(str(out.source)) if inputs is not None else None
                keys[i] = f"copy:{d}" if d else None
            elif out.key is not None and self.use_cache and not self.defer_keys:
                entry = known.get(out.path) if reusable is not None else None
                deps = old_deps.get(out.path) if entry is not None else None
                shape = shaped.get(i) if shaped is not None else None
                stored_shape = old_shapes.get(out.path) if shape is not None else None
                if deps is not None and not affected(deps, reusable):
                    # Same site structure, and none of the posts this page shows changed:
                    # its key is the one the last build computed.
                    keys[i], self.deps[i] = entry[0], deps  # type: ignore[index]
                elif stored_shape is not None and stored_shape[0] == shape[0]:  # type: ignore[index]
                    keys[i], self.deps[i] = stored_shape[1], shape[1]  # type: ignore[index]
                else:
                    keyed.append(i)
        self.keyed = len(keyed)
        if keyed:
            from blogsite.parallel import call_many

            found = call_many([self._key_function(outputs[i], graph) for i in keyed])
            for i, (key, deps) in zip(keyed, found, strict=True):
                keys[i], self.deps[i] = key, deps
        out_base = os.path.join(str(out_dir), "")
        for i, out in enumerate(outputs):
            key = keys[i]
            entry = known.get(out.path)
            if key is None or entry is None or entry[0] != key:
                todo.append(i)
            elif on_disk and same_stat(out_base + out.path, entry):
                unchanged[i] = entry
            elif out.source is None and self.pages is not None:
                stored[i] = entry
            else:
                todo.append(i)

        self._lap("keys")
        if collect:
            # Making and keying ten thousand pages leaves no cycles, and collecting while
            # they were made cost 0.2 s of making them and 0.25 s of keying a new post at
            # 10,000 posts.
            self._collect_from_here()
        if len(todo) > max(PREFETCH_MIN, len(site.all_posts) // 40) and self.contents is not None:
            # Before the render workers fork: they inherit what is read here.
            self.contents.prefetch(site.all_posts)
        self._lap("prefetch")
        staged = not old or len(todo) + len(stored) > max(IN_PLACE_MAX, len(outputs) // 5)
        # A folder that holds anything blogsite did not write is never swapped out: the
        # site is written around those files, in place.
        staged = staged and (not on_disk or holds_only(out_dir, owned))
        # Recorded before any file is written: whatever a build dies after is ours.
        write_owned(record, str(where), owned | produced)
        if staged:
            entries, changed = self._write_staged(
                out_dir, outputs, keys, todo, unchanged, old, stored, known
            )
        else:
            todo = sorted(todo + list(stored))
            entries, changed = self._write_in_place(
                out_dir, outputs, keys, todo, unchanged, old, owned
            )
        write_owned(record, str(where), produced)
        if self.pages is not None and (staged or changed > 50):
            # Small edits leave a few stale pages behind; the next large build clears them.
            self.pages.prune({entry[1] for entry in entries.values()})

        self._lap("render+write")
        if self.store is not None and inputs is not None:
            horizon = next_scheduled(site, self.now)
            data = {
                "format": MANIFEST_FORMAT,
                "input": inputs.digest,
                "horizon": horizon,
                "count": len(site.posts),
                "warnings": self.warning_sources,
                "files": entries,
            }
            self.store.begin()
            self.store.put_value(name, data)
            if graph is not None:
                # What each page was keyed from: read by the next build that is not a
                # no-change build, kept apart so that those stay quick, and written again
                # only when it changed (with the same structure, it rarely does).
                deps = {
                    out.path: self.deps[i]
                    for i, out in enumerate(outputs)
                    if self.deps[i] is not None and out.path in entries
                }
                if reusable is None or deps != old_deps:
                    self.store.put_value(
                        f"graph:{where}",
                        {"structure": graph["structure"], "paths": graph["paths"], "deps": deps},
                    )
                self.store.put_value(
                    f"idents:{where}",
                    {"structure": graph["structure"], "idents": graph["idents"]},
                )
            if shaped is not None:
                shapes = {
                    outputs[i].path: [shape, entries[outputs[i].path][0]]
                    for i, (shape, _deps) in shaped.items()
                    if outputs[i].path in entries and type(entries[outputs[i].path][0]) is str
                }
                if shapes != old_shapes:
                    self.store.put_value(f"shapes:{where}", shapes)
            self.store.commit()
        self._save()
        self._lap("save")
        if os.environ.get("BLOGSITE_TIMINGS"):
            import sys

            print(
                " ".join(f"{k}={v:.3f}" for k, v in self.laps.items())
                + f" rendered={self.rendered} keyed={self.keyed}",
                file=sys.stderr,
            )
        files = OutputFiles(out_dir, [out.path for out in outputs])
        return BuildResult(
            site, out_dir, files, len(files), time.perf_counter() - started,
            rendered=self.rendered, changed=changed, keyed=self.keyed,
        )

    # --- what each page was made from

    def _graph(self, site: Site, renderer, inputs: Inputs) -> dict:
        """The posts of the site (paths, identities), and a digest of its structure: all
        but the bodies of posts. Two builds with the same structure differ only in bodies,
        and a page's key can only change if it shows a post whose body changed."""
        items = [*site.all_posts, *site.pages]
        paths = [p.__dict__.get("_path") or str(p.source) for p in items]
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
            key = p.__dict__.get("_key")
            ident = key if key else "u:" + ",".join(groups[g] for g in GROUPS)
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
        stored = parse_records(
            self.store.records([a for a, _b in changed.values()]) if self.store else {}
        )
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
                return out.key(), None  # type: ignore[misc]
            fingerprints = graph["fingerprints"]
            fingerprints.last_deps = {}
            found = out.key()  # type: ignore[misc]
            index = graph["index"]
            # Each post (its index) with the groups of its fields the key covers, in one int.
            deps = sorted(
                index[d] * 64 + bits for d, bits in fingerprints.last_deps.items() if d in index
            )
            return found, deps if found is not None else None

        return key

    def _write_in_place(self, out_dir, outputs, keys, todo, unchanged, old, owned):
        """Render what changed, each page into a temporary file beside its own, then
        replace the changed files one by one. The workers that render write those files
        (a new post changes every home page: a thousand files on a large site), and no
        file is replaced before every page rendered: a failed build leaves the folder as
        it was."""
        base = os.path.join(str(out_dir), "")
        suffix = f".blogsite-{os.getpid()}"
        positions = [i for i in todo if outputs[i].source is None]
        pages = self.pages
        # Kept pages the last build's outputs no longer hold, one for each page to write (at
        # most), to write new pages into: each worker writes only the ones of its pages.
        spares = (
            pages.spares({entry[1] for entry in old.values()}, len(positions))
            if pages is not None and len(positions) >= SPARES_MIN else []
        )

        def temporary(rel: str) -> str:
            folder, name = os.path.split(rel)
            return f"{base}{folder}/.{name}{suffix}" if folder else f"{base}.{name}{suffix}"

        def stage(j: int, data: bytes) -> tuple[str, str | None]:
            """(digest, the temporary file holding the page, or None if it is unchanged)."""
            rel = outputs[positions[j]].path
            d = digest(data)
            entry = old.get(rel)
            if entry is not None and entry[1] == d and same_stat(base + rel, entry):
                return d, None
            tmp = temporary(rel)
            os.makedirs(os.path.dirname(tmp), exist_ok=True)
            if pages is not None:
                if pages.share(d, data, tmp):
                    return d, tmp
                if j < len(spares) and pages.recycle(spares[j], tmp, data):
                    return d, tmp
            with open(tmp, "wb") as f:
                f.write(data)
            return d, tmp

        try:
            staged = dict(zip(
                positions, self._render([outputs[i].render for i in positions], stage),
                strict=True,
            ))
        except BaseException:
            for i in positions:
                try:
                    os.unlink(temporary(outputs[i].path))
                except OSError:
                    pass
            raise
        entries: dict[str, list] = {}
        changed = 0
        self._lap("write:pages")
        with interrupts_held():
            try:
                for i, out in enumerate(outputs):
                    if i in unchanged:
                        entries[out.path] = unchanged[i]
                        continue
                    target = out_dir / out.path
                    if out.source is not None:
                        data = out.source.read_bytes()
                        d = digest(data)
                        entry = old.get(out.path)
                        if entry is not None and entry[1] == d and same_stat(target, entry):
                            entries[out.path] = [keys[i], d, entry[2], entry[3]]
                            continue
                        target.parent.mkdir(parents=True, exist_ok=True)
                        tmp = Path(temporary(out.path))
                        try:
                            tmp.write_bytes(data)
                            os.replace(tmp, target)
                        finally:
                            if tmp.exists():
                                tmp.unlink()
                    else:
                        d, written = staged.pop(i)
                        if written is None:
                            entry = old[out.path]
                            entries[out.path] = [keys[i], d, entry[2], entry[3]]
                            continue
                        os.replace(written, target)
                        if self.pages is not None:
                            self.pages.keep(d, target)
                    st = target.stat()
                    entries[out.path] = [keys[i], d, st.st_size, st.st_mtime_ns]
                    changed += 1
            finally:
                for _d, written in staged.values():
                    if written is not None:
                        try:
                            os.unlink(written)
                        except OSError:
                            pass
            produced = {out.path for out in outputs}
            for rel in owned:
                if rel not in produced:
                    changed += remove_output_file(out_dir, rel)
        return entries, changed

    def _write_staged(self, out_dir, outputs, keys, todo, unchanged, old, stored, known):
        """Write a complete new folder beside out_dir, then swap it in with two renames."""
        parent = out_dir.parent
        parent.mkdir(parents=True, exist_ok=True)
        pid = os.getpid()
        staging = staging_dir(out_dir)
        previous = parent / f".{out_dir.name}.old-{pid}"
        # While a layout's child still makes the folder, the pages that changed are rendered
        # here (a fresh clone with one new post: the thousand home pages of a large site)
        # and written into the page store, rather than after it: then they are only linked
        # into place.
        early: dict[int, bytes] = {}
        early_digests: dict[int, str] = {}
        written: dict[int, bool] = {}  # early pages whose stored copy this build wrote
        if self.layout is not None and not self.defer_keys and self.layout.running():
            fresh = [i for i in todo if outputs[i].source is None]
            if len(fresh) <= EARLY_MAX:
                store = self.pages
                # Kept pages that no page of the last build is (the layout links only those)
                # to write the new ones into, one each at most.
                spares = (
                    store.spares({entry[1] for entry in known.values()}, len(fresh))
                    if store is not None and len(fresh) >= SPARES_MIN else []
                )

                def keep_early(j: int, data: bytes) -> tuple[str, bool] | bytes:
                    """In the worker that rendered it: the page into the page store (its
                    digest, and whether this build wrote that copy), or the page itself if
                    the store cannot take it."""
                    if store is not None:
                        d = digest(data)
                        wrote = store.put(d, data, spares[j] if j < len(spares) else None)
                        if wrote is not None:
                            return d, wrote
                    return data

                found = self._render([outputs[i].render for i in fresh], keep_early)
                for i, got in zip(fresh, found, strict=True):
                    if type(got) is tuple:
                        early_digests[i], written[i] = got
                    else:
                        early[i] = got
        # What a layout placed in the staging folder (path -> digest), if there is one.
        placed = self.layout.wait() if self.layout is not None else None
        for leftover in (previous,) if placed is not None else (staging, previous):
            if leftover.exists():
                shutil.rmtree(leftover)
        entries: dict[str, list] = {}
        changed = 0
        produced = {out.path for out in outputs}
        try:
            made: set[str] = set()
            if placed is None:
                placed = {}
                staging.mkdir()
            else:
                for rel in [rel for rel in placed if rel not in produced]:
                    remove_output_file(staging, rel)  # a page no longer made (a post deleted)
                    del placed[rel]
                for i, entry in list(stored.items()):
                    rel = outputs[i].path
                    if placed.get(rel) == entry[1]:
                        st = os.stat(staging / rel)
                        entries[rel] = [keys[i], entry[1], st.st_size, st.st_mtime_ns]
                        del stored[i]

            def place(rel: str) -> Path:
                target = staging / rel
                folder = os.path.dirname(rel)
                if folder and folder not in made:
                    target.parent.mkdir(parents=True, exist_ok=True)
                    made.add(folder)
                return target

            for i, entry in unchanged.items():
                rel = outputs[i].path
                target = place(rel)
                try:
                    os.link(out_dir / rel, target)
                except OSError:
                    shutil.copyfile(out_dir / rel, target)
                entries[rel] = entry

            renders: list[Callable[[], bytes]] = []
            positions: list[int] = []
            for i in todo:
                out = outputs[i]
                if i in early or i in early_digests:
                    continue
                if out.source is not None:
                    target = place(out.path)
                    if out.path in placed:
                        os.unlink(target)  # a link into the page store: never write through it
                    shutil.copyfile(out.source, target)
                    st = target.stat()
                    entries[out.path] = [keys[i], digest(target.read_bytes()), st.st_size,
                                         st.st_mtime_ns]
                else:
                    renders.append(out.render)  # type: ignore[arg-type]
                    positions.append(i)
            # Pages the page store holds are linked into place by the same workers that
            # render: on a fresh clone that is thousands of folders and links.
            taken: dict[int, str] = {}
            for i, entry in stored.items():
                taken[len(renders)] = entry[1]
                renders.append(outputs[i].render)  # type: ignore[arg-type]
                positions.append(i)

            defer_keys = self.defer_keys
            pages = self.pages
            base = os.path.join(str(staging), "")
            folders: set[str] = set(made)

            # Kept pages that no page of the last build is (a layout links only those) nor
            # one rendered early, to write the rendered pages into (as _write_in_place does).
            spares = (
                pages.spares(
                    {entry[1] for entry in known.values()} | set(early_digests.values()),
                    len(renders),
                )
                if pages is not None and len(renders) >= SPARES_MIN else []
            )

            def sink(j: int, render: Callable[[], bytes]) -> tuple:
                return put(positions[j], render, taken.get(j), spares[j] if j < len(spares) else None)

            def put(
                i: int, render: Callable[[], bytes] | None, d: str | None = None,
                spare: str | None = None,
            ) -> tuple:
                """Write page i: its stored copy (digest d) if sound, else render() (or
                its early rendering, for render=None), into `spare` if it can be."""
                out = outputs[i]
                target = base + out.path
                folder = os.path.dirname(out.path)
                if folder and folder not in folders:
                    os.makedirs(base + folder, exist_ok=True)
                    folders.add(folder)
                if out.path in placed:
                    os.unlink(target)  # a link into the page store: never write through it
                if d is not None and pages is not None and (
                    # A copy this build wrote is linked unread; if links fail, copied.
                    (written.get(i) and pages.link(d, target)) or pages.take(d, Path(target))
                ):
                    st = os.stat(target)
                    return keys[i], None, d, st.st_size, st.st_mtime_ns, False
                if render is None:
                    data = early[i] if i in early else out.render()  # type: ignore[misc]
                else:
                    data = render()
                if spare is None or pages is None or not pages.recycle(spare, target, data):
                    with open(target, "wb") as f:
                        f.write(data)
                st = os.stat(target)
                d = digest(data)
                if pages is not None:
                    pages.keep(d, Path(target))
                if defer_keys and out.key is not None:
                    key, deps = key_functions[i]()
                else:
                    key, deps = keys[i], None
                return key, deps, d, st.st_size, st.st_mtime_ns, render is not None

            key_functions = {
                i: self._key_function(outputs[i], self.graph) for i in positions if defer_keys
            }
            self._lap("write:prepare")
            for i in [*early, *early_digests]:
                key, deps, d, size, mtime, _rendered = put(i, None, early_digests.get(i))
                entries[outputs[i].path] = [key, d, size, mtime]
            early.clear()
            self.rendered -= len(renders)  # counted below: the pages really rendered
            for j, (key, deps, d, size, mtime, rendered) in enumerate(
                self._render(renders, sink, lazy=True)
            ):
                self.rendered += rendered
                i = positions[j]
                entries[outputs[i].path] = [key, d, size, mtime]
                if deps is not None:
                    self.deps[i] = deps
            self._lap("write:pages")

            for out in outputs:
                entry = old.get(out.path)
                if entry is None or entry[1] != entries[out.path][1]:
                    changed += 1
            changed += sum(1 for rel in old if rel not in produced)
            entries = {out.path: entries[out.path] for out in outputs}
            with interrupts_held():
                if out_dir.exists():
                    os.replace(out_dir, previous)
                os.replace(staging, out_dir)
        finally:
            for leftover in (staging, previous):
                if leftover.exists():
                    shutil.rmtree(leftover, ignore_errors=True)
        return entries, changed
