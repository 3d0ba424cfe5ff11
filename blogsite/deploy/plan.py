"""What every target shares: the plan of a deploy, its report, the progress bar, and the
error a target raises when the remote side refuses."""

from __future__ import annotations

import os
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, TextIO

from blogsite.deploy.settings import DeploySection
from blogsite.errors import Problem


@dataclass(frozen=True)
class LocalFile:
    path: str  # relative to the output folder, with forward slashes
    size: int


@dataclass(frozen=True)
class LocalSite:
    """The output folder as the last successful build wrote it."""

    folder: Path
    files: dict[str, LocalFile]

    def size_of(self, paths: tuple[str, ...] | list[str]) -> int:
        return sum(self.files[p].size for p in paths if p in self.files)


@dataclass(frozen=True)
class DeployPlan:
    """What a deploy would change on one target (paths relative to the site's root)."""

    target: str
    uploads: tuple[str, ...]
    deletions: tuple[str, ...]
    unchanged: int
    upload_bytes: int

    @property
    def empty(self) -> bool:
        return not self.uploads and not self.deletions


@dataclass
class DeployReport:
    target: str
    url: str
    dry_run: bool
    uploaded: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    unchanged: int = 0
    bytes: int = 0
    seconds: float = 0.0
    note: str = ""  # e.g. the commit pushed, the invalidation started

    def summary(self) -> str:
        verb = ("would upload", "would delete") if self.dry_run else ("uploaded", "deleted")
        text = (
            f"{self.target}: {verb[0]} {len(self.uploaded)} file(s) ({human_bytes(self.bytes)}), "
            f"{verb[1]} {len(self.deleted)}, {self.unchanged} unchanged, "
            f"in {self.seconds:.1f} s"
        )
        return text + (f"; {self.note}" if self.note else "")


class DeployFailure(Exception):
    """A target refused or could not be reached: what is wrong and how to fix it."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def problem(self, section: DeploySection, config_file: str) -> Problem:
        where = f"{config_file}:{section.line}" if section.line else config_file
        return Problem(where, f"{section.where} {section.shown_url}: {self.message}", self.hint)


class DeployTarget(Protocol):
    """One kind of remote: it plans from what is there now, then applies the plan."""

    section: DeploySection

    def plan(self, site: LocalSite) -> DeployPlan: ...

    def apply(self, site: LocalSite, plan: DeployPlan, progress: Progress) -> DeployReport: ...

    def deploy(self, site: LocalSite, progress: Progress) -> DeployReport:
        """Plan and apply (a target that learns the plan while applying does it in one go)."""
        ...

    def close(self) -> None: ...


def plan_then_apply(target: DeployTarget, site: LocalSite, progress: Progress) -> DeployReport:
    plan = target.plan(site)
    if plan.empty:
        section = target.section
        return DeployReport(section.name, section.shown_url, False, unchanged=plan.unchanged)
    return target.apply(site, plan, progress)


def human_bytes(count: int) -> str:
    size = float(count)
    for unit in ("B", "kB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{count} B"


class Progress:
    """A one-line progress bar on a terminal; silent otherwise (logs stay readable).
    `on_step` lets a caller watch (or interrupt) a deploy file by file."""

    def __init__(
        self, label: str, stream: TextIO | None = None,
        on_step: Callable[[str, str], None] | None = None,
    ) -> None:
        self.label = label
        self.stream = stream or sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.on_step = on_step
        self.total = 0
        self.done = 0
        self._last = 0.0

    def start(self, total: int) -> None:
        self.total, self.done = total, 0

    def step(self, action: str, path: str) -> None:
        self.done += 1
        if self.on_step is not None:
            self.on_step(action, path)
        now = time.monotonic()
        if self.tty and (now - self._last > 0.05 or self.done >= self.total):
            self._last = now
            self._draw(f"{action} {path}")

    def _draw(self, what: str) -> None:
        width = shutil.get_terminal_size((80, 20)).columns
        if self.total:
            total = max(self.total, self.done)
            filled = int(20 * self.done / total)
            head = f"{self.label} [{'#' * filled}{'.' * (20 - filled)}] {self.done}/{total} "
        else:  # rsync finds the changes as it goes: no total to show
            head = f"{self.label} {self.done} file(s) "
        line = (head + what)[: max(width - 1, 10)]
        self.stream.write("\r" + line.ljust(width - 1))
        self.stream.flush()

    def finish(self) -> None:
        if self.tty and self.done:
            self.stream.write("\r" + " " * (shutil.get_terminal_size((80, 20)).columns - 1) + "\r")
            self.stream.flush()


def html_last(paths: list[str] | tuple[str, ...]) -> list[str]:
    """Upload order: every other file first, then the pages, deepest first and the home page
    last, so that no page already online links to a file not uploaded yet."""
    others = sorted(p for p in paths if not p.endswith(".html"))
    pages = sorted((p for p in paths if p.endswith(".html")), key=lambda p: (-p.count("/"), p))
    return others + pages


def child_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of ssh, rsync and git: the user's own (agent, config), without the
    social networks' secrets, which they have no use for."""
    from blogsite.publish.networks import SECRET_VARS

    env = {k: v for k, v in os.environ.items() if k not in SECRET_VARS}
    env.update(extra or {})
    return env
