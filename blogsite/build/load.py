"""The load phase: the site's posts and pages, each from what `serve` kept of the last
rebuild, from its row in the cache (blogsite.build.posts), or parsed afresh (in parallel,
rows stored as they come), in file order.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

from blogsite.build.inputs import Inputs
from blogsite.build.posts import Contents, Row, StoredPost, decode_meta, read_stored
from blogsite.build.store import digest
from blogsite.comments import folder_for
from blogsite.errors import Problem, display_path
from blogsite.post import CachedPost, Post, StoredRef, with_url
from blogsite.site import Site, assemble_site, url_maker

if TYPE_CHECKING:
    from blogsite.build.pipeline import Builder

BATCH = 256  # rows stored at a time while parsing: memory stays flat on a first build


class SourceJob(NamedTuple):
    """A post or page file to load."""

    kind: str  # "post" or "page"
    rel: str  # relative to its folder
    path: str
    digest: str | None  # None: unreadable
    comments: str  # what of its comments folder goes into its cache key
    key: str | None  # its row in the cache, once its digest is known


class Found(NamedTuple):
    """A file's post (None if in error) with the problems found parsing it: as `serve`
    keeps it between rebuilds, or parsed without a row (a field the cache cannot hold)."""

    post: Post | None
    problems: list  # (message, hint, line, warning), or Problems naming comment files


def load_site_cached(builder: Builder, inputs: Inputs) -> Site:
    """The site from the cache, parsing (in parallel) the files it lacks."""
    config = builder.config
    env = f"{builder.code}\0{config.site.timezone}\0{config.site.language}"
    jobs = [
        _job(env, kind, rel, path, d, inputs.comments_key(kind, rel))
        for kind, found in (("post", inputs.posts), ("page", inputs.pages))
        for rel, path, d in found
    ]
    session = builder.session
    kept = session.posts if session is not None else {}
    wanted = [j.key for j in jobs if j.key is not None and (j.key, j.path) not in kept]
    stored = read_stored(builder.store, wanted)
    missing = [
        i for i, j in enumerate(jobs)
        if j.key is None or (j.key not in stored and (j.key, j.path) not in kept)
    ]
    rowless = _parse(builder, env, jobs, missing, stored) if missing else {}
    builder.contents = Contents(config, builder.store)
    return _assemble(builder, jobs, kept, stored, rowless)


def _job(env: str, kind: str, rel: str, path: str, d: str | None, comments: str) -> SourceJob:
    key = None
    if d:
        key = digest(f"{env}\0{kind}\0{rel}\0{d}\0{comments}".encode("utf-8", "surrogateescape"))
    return SourceJob(kind, rel, path, d, comments, key)


def _parse(
    builder: Builder, env: str, jobs: list[SourceJob], missing: list[int],
    stored: dict[str, StoredPost],
) -> dict[int, Found]:
    """Parse the files the cache lacks; their rows go into the store (and `stored`), and
    the jobs get their digests and keys. Returns the files that have no row."""
    from blogsite.build.workers import parse_many

    config = builder.config
    root, zone, lang = config.root, config.site.timezone, config.site.language
    parse_jobs = [
        (jobs[i].kind, jobs[i].path, zone, lang,
         str(folder_for(root, jobs[i].rel)) if jobs[i].comments else "")
        for i in missing
    ]
    options = builder.options
    results = parse_many(
        parse_jobs, options.workers_for(len(parse_jobs), options.thresholds.parse_workers)
    )
    rows: list[tuple[str, Row]] = []
    rowless: dict[int, Found] = {}
    for i, parsed in zip(missing, results, strict=True):
        job = jobs[i]
        # Keyed by the bytes parsed (a file saved again since the scan is stored as it is).
        job = jobs[i] = _job(env, job.kind, job.rel, job.path, parsed.digest, job.comments)
        post = decode_meta(parsed.row.meta) if parsed.row is not None else None
        if post is None or job.key is None:
            rowless[i] = Found(parsed.post, parsed.problems)
            continue
        stored[job.key] = post
        rows.append((job.key, parsed.row))  # type: ignore[arg-type]  # not None with post
        if len(rows) >= BATCH:
            _put(builder, rows)
    _put(builder, rows)
    return rowless


def _put(builder: Builder, rows: list[tuple[str, Row]]) -> None:
    if builder.store is not None and rows:
        builder.store.begin()
        builder.store.put_rows(rows)
        builder.store.commit()
    rows.clear()


def _assemble(
    builder: Builder, jobs: list[SourceJob], kept: dict[tuple[str, str], Found],
    stored: dict[str, StoredPost], rowless: dict[int, Found],
) -> Site:
    """Each file's post, from wherever it was found; problems reported, and `serve`'s kept
    posts and rows brought up to date."""
    make_url = url_maker(builder.config)

    def url(kind: str, date: Any, slug: str, lang: str) -> str:
        return f"/{slug}/" if kind == "page" else make_url(date, slug, lang)

    problems: list[Problem] = []
    items: dict[str, list[Post]] = {"post": [], "page": []}
    keep: dict[tuple[str, str], Found] = {}
    for i, job in enumerate(jobs):
        found = _post(builder, job, kept, stored, rowless.get(i), url)
        _report(job.path, found.problems, problems)
        if found.post is not None:
            items[job.kind].append(found.post)
            if job.key is not None:
                keep[(job.key, job.path)] = found
    builder.live_keys = {j.key for j in jobs if j.key is not None}
    if builder.session is not None:
        builder.session.posts = keep
    posts, pages = items["post"], items["page"]
    return assemble_site(
        builder.config, posts, pages, problems,
        include_drafts=builder.include_drafts, strict=builder.strict, now=builder.now,
        urls_known=all(p.url for p in posts) and all(p.url for p in pages),
    )


def _post(
    builder: Builder, job: SourceJob, kept: dict[tuple[str, str], Found],
    stored: dict[str, StoredPost], rowless: Found | None, url: Any,
) -> Found:
    """One file's post, with the problems found in it."""
    if rowless is not None:
        return rowless
    assert job.key is not None  # a file without a key was parsed: rowless, or now stored
    was = kept.get((job.key, job.path))
    if was is not None and was.post is not None:
        post = was.post
        return Found(with_url(post, url(job.kind, post.date, post.slug, post.lang)), was.problems)
    found = stored[job.key]
    fields = found.fields
    fields["url"] = url(job.kind, fields["date"], fields["slug"], fields["lang"])
    assert builder.contents is not None
    ref = StoredRef(job.key, job.path, job.digest, found.words, found.groups, builder.contents)
    return Found(CachedPost.lazy(ref, fields), found.problems)


def _report(path: str, found: list, problems: list[Problem]) -> None:
    """A file's problems. Problems in a post's comment files come as Problems naming
    those files."""
    problems.extend(p if isinstance(p, Problem) else Problem(display_path(path), *p) for p in found)
