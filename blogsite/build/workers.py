"""Parsing posts and rendering pages over forked processes, when it pays.

Python-Markdown holds the GIL, so threads would not help. Workers inherit the loaded
modules, the Markdown converters and the site, so nothing but results crosses the pipes.
The caller says how many processes to use (blogsite.build.options); without fork everything
runs in this process. The results are the same either way and come back in order.
"""

from __future__ import annotations

import gc
import os
import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple
from zoneinfo import ZoneInfo

from blogsite.build.store import digest
from blogsite.errors import BlogsiteError, Problem

# Runs where a page was rendered (a worker process): it writes the page there.
Sink = Callable[[int, bytes], Any]

if TYPE_CHECKING:
    from blogsite.build.posts import Row
    from blogsite.post import Post


def _quiet_worker() -> None:
    """Ctrl-C reaches every process of the terminal's group: a worker leaves it to the
    build's own process, which stops the workers (no worker traceback, no hang)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


@contextmanager
def _pool(n: int) -> Iterator[Any]:
    """n forked workers that ignore Ctrl-C. SIGINT is blocked while they are forked, so
    that one arriving before a worker ignores it waits (and is then dropped there) rather
    than killing it with a traceback; this process gets it once they are all started."""
    import multiprocessing  # only when there is enough work to share: an edit has none

    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        pool = multiprocessing.get_context("fork").Pool(n, initializer=_quiet_worker)
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    with pool:
        yield pool


def _forks(n: int) -> bool:
    """Whether n processes (this one included) are worth forking, and fork exists here."""
    return n >= 2 and hasattr(os, "fork")


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


def _parse_one(job: tuple[str, str, str, str, str]) -> Parsed:
    return parse_source(*job)


def _parse_chunk(jobs: list[tuple[str, str, str, str, str]]) -> list[Parsed]:
    return list(map(_parse_one, jobs))


def parse_many(jobs: list[tuple[str, str, str, str, str]], n: int) -> Iterator[Parsed]:
    """parse_source over (kind, path, zone, language, comments folder) jobs, in order, by n
    processes."""
    # Parsing leaves a few cycles per post (Markdown's trees): collect them even if the
    # caller turned the collector off (workers inherit its state).
    paused = not gc.isenabled()
    if paused:
        gc.enable()
    try:
        if not _forks(n):
            yield from map(_parse_one, jobs)
            return
        size = max(4, min(64, len(jobs) // (n * 8) or 1))
        chunks = [jobs[i : i + size] for i in range(0, len(jobs), size)]
        with _pool(n) as pool:
            for results in pool.imap(_parse_chunk, chunks):
                yield from results
    finally:
        if paused:
            gc.disable()


# ----- rendering pages, by this process and n - 1 workers


class _Failed(NamedTuple):
    problems: list[Problem]


def _render_one(render: Callable[[], bytes], sink: Sink | None, j: int) -> Any:
    try:
        data = render()
    except BlogsiteError as exc:
        return _Failed(exc.problems)
    return sink(j, data) if sink is not None else data


def render_many(renders: list[Callable[[], bytes]], sink: Sink | None, n: int) -> list[Any]:
    """Each render's bytes, or what sink(index, bytes) made of them where they were
    rendered (a worker writes the page it rendered: memory stays flat). Raises
    BlogsiteError with every failed render's problems, in order."""
    results = call_many([partial(_render_one, f, sink, j) for j, f in enumerate(renders)], n)
    problems: list[Problem] = []
    for failed in results:
        if isinstance(failed, _Failed):
            problems.extend(p for p in failed.problems if p not in problems)
    if problems:
        raise BlogsiteError(problems)
    return results


_WORK: tuple[Any, Any, list[Callable[[], Any]], int] | None = None


def _take_chunks(from_back: bool = False) -> list[tuple[int, list[Any]]]:
    """Call the next chunk of functions nobody took yet, until none is left: (chunk
    number, results). Workers take from the front, this process from the back."""
    assert _WORK is not None
    front, back, funcs, size = _WORK
    done: list[tuple[int, list[Any]]] = []
    while True:
        with front.get_lock():
            if front.value > back.value:
                return done
            end = back if from_back else front
            i = end.value
            end.value = i - 1 if from_back else i + 1
        done.append((i, [f() for f in funcs[i * size : (i + 1) * size]]))


def call_many(funcs: list[Callable[[], Any]], n: int) -> list[Any]:
    """[f() for f in funcs], by this process and n - 1 forked workers alike (results must
    be picklable). This process works rather than waits: one copy fewer of what workers
    touch of the inherited site (reading an object writes its reference count, which
    unshares its memory page). Pages come in site order (post pages by date, then the
    listings): workers take from the front, this process from the back, so each touches a
    run of neighbouring posts, not all of them."""
    global _WORK
    if not _forks(n):
        return [f() for f in funcs]
    import multiprocessing

    ctx = multiprocessing.get_context("fork")
    size = max(8, min(128, len(funcs) // (n * 6) or 1))  # small: costly pages come in runs
    _WORK = (ctx.Value("l", 0), ctx.Value("l", -(-len(funcs) // size) - 1), funcs, size)
    try:
        with _pool(n - 1) as pool:
            pending = [pool.apply_async(_take_chunks) for _ in range(n - 1)]
            done = _take_chunks(from_back=True)
            for p in pending:
                done.extend(p.get())
    finally:
        _WORK = None
    return [value for _i, part in sorted(done, key=lambda item: item[0]) for value in part]
