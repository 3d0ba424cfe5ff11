"""Reads that meet a 429: wait for the reset when it comes within `[publish] max_wait` (all
waits of a run together), else give up and leave the rest for the next run."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from blogsite.publish.networks.base import RateLimited

MAX_TRIES = 4


class Patience:
    def __init__(self, max_wait: float, say: Callable[[str], None],
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.left = float(max_wait)
        self.say = say
        self.sleep = sleep

    def call(self, network_call: Callable[..., Any], label: str, what: str,
             func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """`network_call(what, func, *args, **kwargs)`, waiting out rate limits we can afford."""
        for attempt in range(MAX_TRIES):
            try:
                return network_call(what, func, *args, **kwargs)
            except RateLimited as exc:
                wait = None if exc.reset_at is None else max(exc.reset_at - time.time(), 0.0)
                if wait is None or wait > self.left or attempt == MAX_TRIES - 1:
                    raise
                self.left -= wait
                self.say(f"{label}: rate limited; waiting {wait:.0f} s as the network asks")
                self.sleep(wait + 0.5)
        raise AssertionError("unreachable")
