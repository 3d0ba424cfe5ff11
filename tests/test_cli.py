"""The command line: help with examples, init, new, and the documented interface."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from blogsite.cli import COMMANDS, EXAMPLES
from tests.conftest import ROOT


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_command_has_help_with_an_example(cli, tmp_path, command):
    with pytest.raises(SystemExit) as exit_info:
        cli(tmp_path, command, "--help")
    assert exit_info.value.code == 0


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_help_text_shows_the_example(command, capsys):
    from blogsite.cli import main

    with pytest.raises(SystemExit):
        main([command, "--help"])
    out = capsys.readouterr().out
    assert "example:" in out and EXAMPLES[command].splitlines()[1].strip() in out


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_command_is_documented_in_the_readme(command):
    readme = (ROOT / "README.md").read_text()
    assert re.search(rf"^### `blogsite {command}", readme, re.M), command
    assert f"blogsite {command}" in readme


def test_every_site_toml_key_is_documented():
    from dataclasses import fields

    from blogsite.config import SECTIONS, SOCIAL_SECTIONS

    readme = (ROOT / "README.md").read_text()
    for section, cls in [*SECTIONS.items(), *((f"social.{k}", v) for k, v in SOCIAL_SECTIONS.items())]:
        assert f"[{section}]" in readme, section
        for f in fields(cls):
            assert f"`{f.name}`" in readme, f"{section}.{f.name}"


def test_every_front_matter_key_is_documented():
    from blogsite.post import POST_KEYS

    readme = (ROOT / "README.md").read_text()
    for key in POST_KEYS:
        assert f"`{key}`" in readme, key


def test_no_command_prints_help_and_exits_2(cli, tmp_path):
    assert cli(tmp_path).code == 2


def test_init_then_build(cli, tmp_path):
    result = cli(tmp_path, "init", "myblog")
    assert result.code == 0
    site = tmp_path / "myblog"
    assert (site / "site.toml").is_file() and (site / "theme").is_dir()
    assert "public/" in (site / ".gitignore").read_text()
    assert list((site / "posts").glob("*.md"))
    assert cli(site, "build").code == 0
    assert (site / "public/index.html").is_file()
    assert "Hello, world" in (site / "public/index.html").read_text()


def test_init_refuses_a_non_empty_folder(cli, tmp_path):
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken/file.txt").write_text("mine")
    result = cli(tmp_path, "init", "taken")
    assert result.code == 1 and "not empty" in result.err
    assert (tmp_path / "taken/file.txt").read_text() == "mine"


def test_new_creates_a_draft_with_date_in_site_zone(cli, make_site):
    site = make_site("example")
    result = cli(site, "new", "Tweeter or not Tweeter ?")
    assert result.code == 0
    path = site / result.out.strip()
    assert path == site / "posts/tweeter-or-not-tweeter.md"
    text = path.read_text()
    assert 'title: "Tweeter or not Tweeter ?"' in text and "draft: true" in text
    date = re.search(r"^date: (.+)$", text, re.M).group(1)
    when = datetime.fromisoformat(date)
    assert when.utcoffset() == datetime.now(ZoneInfo("Europe/Paris")).utcoffset()
    # The draft is not published, but the site still builds.
    assert cli(site, "build").code == 0
    assert not list((site / "public").rglob("tweeter-or-not-tweeter"))
    assert cli(site, "build", "--drafts").code == 0
    assert list((site / "public").rglob("tweeter-or-not-tweeter"))


def test_new_no_draft_and_refuses_to_overwrite(cli, make_site):
    site = make_site("example")
    result = cli(site, "new", "Ready", "--no-draft")
    assert result.code == 0
    assert "draft" not in (site / result.out.strip()).read_text()
    again = cli(site, "new", "Ready")
    assert again.code == 1 and "already exists" in again.err


def test_python_dash_m_and_console_script(make_site):
    site = make_site("example")
    proc = subprocess.run([sys.executable, "-m", "blogsite", "--version"], capture_output=True, text=True)
    assert proc.returncode == 0 and proc.stdout.startswith("blogsite ")
    exe = ROOT / ".venv" / "bin" / "blogsite"
    if exe.exists():
        proc = subprocess.run([str(exe), "build"], cwd=site, capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr


def test_no_color_is_honoured(make_site):
    site = make_site("tricky")
    (site / "posts/bad.md").write_text("---\ndate: 2024-01-01\n---\n")
    proc = subprocess.run(
        [sys.executable, "-m", "blogsite", "build"],
        cwd=site,
        capture_output=True,
        text=True,
        env={"NO_COLOR": "1", "PATH": "/usr/bin:/bin"},
    )
    assert proc.returncode == 1 and "\033[" not in proc.stderr


def test_the_github_actions_recipe_is_a_workflow_that_keeps_the_build_cache():
    """docs/publishing.md's workflow, as a user pastes it: valid YAML, every credential
    from secrets, and the build cache restored before blogsite runs."""
    import yaml

    from blogsite.publish.networks import SECRET_VARS

    text = (ROOT / "docs" / "publishing.md").read_text()
    block = re.search(r"```yaml\n(name: publish\n.*?)```", text, re.S)
    assert block is not None
    steps = yaml.safe_load(block.group(1))["jobs"]["publish"]["steps"]
    names = [s.get("uses", s.get("run", "")) for s in steps]
    cache = next(i for i, n in enumerate(names) if n.startswith("actions/cache@"))
    run = next(i for i, n in enumerate(names) if n == "blogsite publish")
    assert cache < run
    assert steps[cache]["with"]["path"].split() == [".blogsite-cache", "public"]
    env = steps[run]["env"]
    for variable in SECRET_VARS:
        assert env[variable] == "${{ secrets." + variable + " }}"
