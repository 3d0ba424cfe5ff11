"""How a build runs (not what it makes): worker processes, the cache, timings, and every
tuning threshold of the engine, each with its reason. The engine never reads the
environment: the command line makes one BuildOptions (from_env) and passes it down."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Thresholds:
    """Below these sizes the cheaper way wins; tests shrink them to cross every path."""

    # Forking workers costs about a tenth of a second: below this many posts to parse,
    # or pages to render, one process is faster.
    parse_workers: int = 48
    render_workers: int = 300
    # Above this many files to write (or a fifth of the site), staging a whole new folder
    # and swapping it in costs less than replacing files one by one.
    in_place_max: int = 400
    in_place_share: int = 5
    # Pages to render from which the listings' summaries are read in one query before the
    # workers fork (or a fortieth of the posts: a few pages read less than all of them).
    prefetch_min: int = 20
    prefetch_share: int = 40


def _cores() -> int:
    try:
        count = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        count = os.cpu_count() or 1
    return max(1, min(count, 8))  # past eight, the copy-on-write of the site costs more


@dataclass(frozen=True)
class BuildOptions:
    cache: bool = True  # False: the reference build, from scratch, serial, no cache
    jobs: int = field(default_factory=_cores)  # worker processes at most (1: none)
    timings: bool = False  # print each phase's time on stderr
    thresholds: Thresholds = field(default_factory=Thresholds)

    @property
    def workers(self) -> int:
        return self.jobs if self.cache else 1

    def workers_for(self, count: int, minimum: int) -> int:
        """Worker processes for `count` pieces of work that pay from `minimum` on."""
        return self.workers if count >= minimum else 1

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> BuildOptions:
        """BLOGSITE_CACHE=0, BLOGSITE_JOBS=N, BLOGSITE_TIMINGS=1."""
        jobs = env.get("BLOGSITE_JOBS", "").strip()
        return cls(
            cache=env.get("BLOGSITE_CACHE", "").strip().lower() not in ("0", "off", "no", "false"),
            jobs=max(1, int(jobs)) if jobs.isdigit() else _cores(),
            timings=bool(env.get("BLOGSITE_TIMINGS")),
        )
