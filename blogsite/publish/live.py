"""Deploying with `[publish] deploy`, and checking that each post answers 200 before it is
announced."""

from __future__ import annotations

import os
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping

from blogsite.config import Config
from blogsite.errors import BlogsiteError, Problem, display_path
from blogsite.publish.networks import SECRET_VARS
from blogsite.publish.records import Job

# After a deploy, a post may take a moment to appear (CDN, Pages): poll this often.
LIVE_POLL_SECONDS = 5.0
LIVE_TIMEOUT = 10.0


def deploy(config: Config, say: Callable[[str], None], env: Mapping[str, str]) -> None:
    command = config.publish.deploy
    say(f"Deploying: {command}")
    # The deploy command has no business with the social credentials.
    child_env = {k: v for k, v in os.environ.items() if k not in SECRET_VARS}
    try:
        proc = subprocess.Popen(
            command,
            shell=True,
            cwd=config.root,
            env=child_env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
        )
    except OSError as exc:
        raise BlogsiteError(
            Problem(display_path(config.path), f"[publish] deploy could not start: {exc}")
        ) from None
    with proc:
        assert proc.stdout is not None
        for line in proc.stdout:
            say("  " + line.rstrip("\n"))
        code = proc.wait()
    if code != 0:
        raise BlogsiteError(
            Problem(
                display_path(config.path),
                f"[publish] deploy failed with exit status {code}; nothing was announced",
                "run the deploy command by hand to see what is wrong",
            )
        )


def _is_live(url: str) -> tuple[bool, str]:
    request = urllib.request.Request(url, headers={"User-Agent": "blogsite publish (live check)"})
    try:
        with urllib.request.urlopen(request, timeout=LIVE_TIMEOUT) as response:
            status = response.status
    except urllib.error.HTTPError as exc:
        status = exc.code
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        return False, f"not live yet: GET {url} failed ({reason})"
    if status == 200:
        return True, ""
    return False, f"not live yet: GET {url} answered {status}"


def verify_live(
    config: Config, jobs: list[Job], say: Callable[[str], None], *, polling: bool
) -> dict[str, str]:
    """URL -> "" when live, else why not. After a deploy, wait a little for it to appear."""
    if not config.publish.verify_live:
        return {}
    urls = []
    for job in jobs:
        url = config.base_url + job.post.url.lstrip("/")
        if url not in urls:
            urls.append(url)
    result: dict[str, str] = {}
    deadline = time.monotonic() + (min(config.publish.max_wait, 120) if polling else 0)
    pending = list(urls)
    while True:
        for url in list(pending):
            ok, why = _is_live(url)
            result[url] = why
            if ok:
                pending.remove(url)
        if not pending or time.monotonic() + LIVE_POLL_SECONDS > deadline:
            break
        time.sleep(LIVE_POLL_SECONDS)
    for url in pending:
        say(f"{result[url]}; its announcements wait for the next publish")
    return result
