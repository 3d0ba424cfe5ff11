"""Parsing posts and rendering pages over several processes (fork), when it pays.

Python-Markdown holds the GIL, so threads would not help: a cold build of a large site
forks one worker per core. Workers inherit the loaded modules, the Markdown converters and
the site (rendering), so nothing but results crosses the pipes. The caller says how many
processes to use (blogsite.build.options: one below the sizes where workers pay); where fork is
unavailable everything runs in the calling process. The results are the same either way
and come back in order.
"""

from __future__ import annotations

import gc
import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple
from zoneinfo import ZoneInfo

from blogsite.build.store import digest
from blogsite.errors import BlogsiteError

if TYPE_CHECKING:
    from blogsite.build.posts import Row
    from blogsite.post import Post


def _quiet_worker() -> None:
    """Ctrl-C reaches every process of the terminal's group: a worker leaves it to the
    build's own process, which stops the workers (no worker traceback, no hang)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


@contextmanager
def _pool(ctx: Any, n: int) -> Iterator[Any]:
    """A pool of n workers that ignore Ctrl-C. SIGINT is blocked while they are forked, so
    that one arriving before a worker ignores it waits (and is then dropped there) rather
    than killing it with a traceback; this process gets it once they are all started."""
    sigmask = getattr(signal, "pthread_sigmask", None)
    if sigmask is not None:
        sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        pool = ctx.Pool(n, initializer=_quiet_worker)
    finally:
        if sigmask is not None:
            sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    with pool:
        yield pool


def _fork_context():
    import multiprocessing  # only when there is enough work to share: an edit has none

    if "fork" not in multiprocessing.get_all_start_methods():
        return None
    return multiprocessing.get_context("fork")


# ----- parsing


class Parsed(NamedTuple):
    """A file parsed: the digest of the bytes read, its cache row (None when the file has
    errors, or a field the cache cannot hold: then `post` is the Post itself), and the
    problems found, as (message, hint, line, warning), or Problems naming comment files."""

    digest: str | None
    row: Row | None
    problems: list
    post: Post | None


def parse_source(kind: str, path: str, zone_key: str, lang: str, comments: str = "") -> Parsed:
    """Parse one file into its cache row; `comments`: its comments folder, if it has one."""
    from blogsite.build.keys import post_fields
    from blogsite.build.posts import encode_row
    from blogsite.post import parse_post
    from blogsite.render import count_words

    problems: list = []
    source = Path(path)
    try:
        with open(path, "rb") as f:
            raw: bytes | None = f.read()
    except OSError:
        raw = None
    file_digest = digest(raw) if raw is not None else None
    post = parse_post(
        source, zone=ZoneInfo(zone_key), default_lang=lang, is_page=kind == "page",
        problems=problems, raw=raw,
    )
    found: list = [(p.message, p.hint, p.line, p.warning) for p in problems]
    if post is not None and comments:
        # The post's comments (blogsite.comments) are part of its row; their problems
        # name their own files, so they travel as Problems.
        from blogsite.comments import attach

        comment_problems: list = []
        post = attach(post, Path(comments), comment_problems)
        found.extend(comment_problems)
    if post is None:
        return Parsed(file_digest, None, found, None)
    try:
        tagged = post_fields(post)
    except TypeError:
        return Parsed(file_digest, None, found, post)
    return Parsed(file_digest, encode_row(post, tagged, count_words(post.html), found), found, None)


def _parse_chunk(jobs: list[tuple[str, str, str, str, str]]) -> list[Parsed]:
    return [parse_source(*job) for job in jobs]


def parse_many(jobs: list[tuple[str, str, str, str, str]], n: int) -> Iterator[Parsed]:
    """parse_source over (kind, path, zone, language, comments folder) jobs, in order, by n
    processes."""
    # Parsing leaves a few cycles per post (Markdown's trees): collect them even if the
    # caller turned the collector off (workers inherit its state).
    paused = not gc.isenabled()
    if paused:
        gc.enable()
    try:
        ctx = _fork_context() if n >= 2 else None
        if ctx is None:
            for job in jobs:
                yield parse_source(*job)
            return
        size = max(4, min(64, len(jobs) // (n * 8) or 1))
        chunks = [jobs[i : i + size] for i in range(0, len(jobs), size)]
        with _pool(ctx, n) as pool:
            for results in pool.imap(_parse_chunk, chunks):
                yield from results
    finally:
        if paused:
            gc.disable()


# ----- rendering

_RENDER: tuple[list[Callable[[], bytes]], Callable[[int, bytes], Any] | None] | None = None


def _render_chunk(indices: list[int]) -> list[tuple[int, Any]]:
    assert _RENDER is not None
    renders, sink = _RENDER
    out: list[tuple[int, Any]] = []
    for i in indices:
        try:
            data = renders[i]()
        except BlogsiteError as exc:
            out.append((i, exc.problems))
            continue
        out.append((i, sink(i, data) if sink is not None else data))
    return out


def render_many(
    renders: list[Callable[[], bytes]],
    sink: Callable[[int, bytes], Any] | None,
    n: int,
) -> Iterator[tuple[int, Any]]:
    """Call each render function; yield (index, bytes, or sink(index, bytes) when a sink is
    given, or the list of problems of a failed render). Workers inherit everything by fork:
    `sink` runs in the worker (to write a page where it was rendered), so memory stays flat.
    """
    global _RENDER
    ctx = _fork_context() if n >= 2 else None
    _RENDER = (renders, sink)
    try:
        if ctx is None:
            yield from _render_chunk(list(range(len(renders))))
            return
        size = max(8, min(128, len(renders) // (n * 6) or 1))
        chunks = [list(range(i, min(i + size, len(renders)))) for i in range(0, len(renders), size)]
        for _chunk, results in _shared(ctx, n, chunks, _render_chunk):
            yield from results
    finally:
        _RENDER = None


# ----- this process and n - 1 workers taking chunks from the two ends of one list

_WORK: tuple[Any, Any, list[Any], Callable[[Any], Any]] | None = None


def _take_chunks(from_back: bool = False) -> list[tuple[int, Any]]:
    """Run the next chunk nobody took yet, until none is left: (chunk number, result).
    Workers take from the front, this process from the back."""
    assert _WORK is not None
    front, back, chunks, run = _WORK
    done: list[tuple[int, Any]] = []
    while True:
        with front.get_lock():
            if front.value > back.value:
                return done
            if from_back:
                i = back.value
                back.value = i - 1
            else:
                i = front.value
                front.value = i + 1
        done.append((i, run(chunks[i])))


def _shared(ctx, n: int, chunks: list[Any], run: Callable[[Any], Any]) -> list[tuple[int, Any]]:
    """run(chunk) for every chunk, by this process and n - 1 forked workers alike.

    This process works rather than waits: one process fewer for the same cores, so one
    copy fewer of what the workers touch of the inherited site (in CPython, reading an
    object writes its reference count, which unshares the memory page it is on). And the
    workers take chunks from the front of the list while this process takes them from the
    back: pages come in site order (post pages first, in date order; then the listings,
    which show every post), so a worker touches a run of neighbouring posts, not all of
    them, and copies that much less."""
    global _WORK
    _WORK = (ctx.Value("l", 0), ctx.Value("l", len(chunks) - 1), chunks, run)
    try:
        with _pool(ctx, n - 1) as pool:
            pending = [pool.apply_async(_take_chunks) for _ in range(n - 1)]
            done = _take_chunks(from_back=True)
            for p in pending:
                done.extend(p.get())
        return done
    finally:
        _WORK = None


# ----- anything else: page keys

_CALLS: list[Callable[[], Any]] | None = None


def _call_chunk(bounds: tuple[int, int]) -> list[Any]:
    assert _CALLS is not None
    return [_CALLS[i]() for i in range(*bounds)]


def call_many(funcs: list[Callable[[], Any]], n: int) -> list[Any]:
    """[f() for f in funcs], over worker processes when there are many: the keys of the
    10,000 pages of a large site, on every build. Results must be picklable."""
    global _CALLS
    ctx = _fork_context() if n >= 2 else None
    if ctx is None:
        return [f() for f in funcs]
    size = -(-len(funcs) // (n * 4))  # a few chunks each: the costly keys are not spread evenly
    bounds = [(i, min(i + size, len(funcs))) for i in range(0, len(funcs), size)]
    _CALLS = funcs
    try:
        done = sorted(_shared(ctx, n, bounds, _call_chunk), key=lambda item: item[0])
    finally:
        _CALLS = None
    return [value for _chunk, part in done for value in part]
