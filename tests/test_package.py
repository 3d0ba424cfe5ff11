"""The installed package carries the default theme: `blogsite init` and `build` work from a
wheel, with no checkout of this repository around."""

from __future__ import annotations

import subprocess
import sys
import zipfile

from tests.conftest import ROOT


def test_wheel_contains_the_theme_and_works_without_the_checkout(tmp_path):
    dist = tmp_path / "dist"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(dist),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    wheel = next(dist.glob("blogsite-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    for template in ("base.html", "post.html", "index.html", "static/style.css"):
        assert f"blogsite/_theme/{template}" in names

    target = tmp_path / "installed"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
        check=True,
        capture_output=True,
    )
    work = tmp_path / "elsewhere"
    work.mkdir()
    script = (
        "import sys; sys.path.insert(0, sys.argv[1]);"
        "import blogsite, blogsite.cli;"
        "assert blogsite.__file__.startswith(sys.argv[1]), blogsite.__file__;"
        "import os; rc = blogsite.cli.main(['init', 'blog']); os.chdir('blog');"
        "raise SystemExit(rc or blogsite.cli.main(['build']))"
    )
    proc = subprocess.run(
        [sys.executable, "-I", "-c", script, str(target)], cwd=work, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
    index = (work / "blog/public/index.html").read_text()
    assert "Hello, world" in index and 'class="site-header"' in index
    assert (work / "blog/public/static/style.css").is_file()
