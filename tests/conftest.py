"""Shared fixtures: fixture sites copied to a temporary folder, and the CLI run in-process."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from blogsite.cli import main

ROOT = Path(__file__).resolve().parent.parent
SITES = Path(__file__).resolve().parent / "sites"


@dataclass
class Result:
    code: int
    out: str
    err: str


@pytest.fixture
def make_site(tmp_path: Path) -> Callable[[str], Path]:
    """Copy tests/sites/NAME (or the example blog, for NAME == "example") into tmp_path."""

    def make(name: str) -> Path:
        target = tmp_path / name
        if name == "example":
            target.mkdir()
            for item in ("site.toml", "posts", "pages", "comments", "static", "theme"):
                src = ROOT / item
                if src.is_dir():
                    shutil.copytree(src, target / item)
                else:
                    shutil.copy(src, target / item)
        else:
            shutil.copytree(SITES / name, target)
        return target

    return make


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., Result]:
    """Run `blogsite ARGS` in-process in folder `cwd`; return exit code and output."""

    def run(cwd: Path, *args: str) -> Result:
        old = Path.cwd()
        os.chdir(cwd)
        try:
            code = main(list(args))
        finally:
            os.chdir(old)
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run


def tree(folder: Path) -> dict[str, bytes]:
    """Every file below folder, by relative path: for before/after comparisons."""
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }
