"""Every user mistake: one clear message naming the file and line, the fix, exit 1,
no traceback, and the previous site left exactly as it was."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import tree

# name -> (file to write, its bytes, expected fragments of the message)
POST_ERRORS = {
    "bad yaml": (
        "posts/bad.md",
        b"---\ntitle: Fine\ndate: 2024-01-01\ntags: [a, b\n---\nBody\n",
        ["posts/bad.md:", "invalid YAML front matter", "hint:"],
    ),
    "tab in yaml": (
        "posts/tab.md",
        b"---\ntitle: Tab\n\tdate: 2024-01-01\n---\nBody\n",
        ["posts/tab.md:3", "YAML does not allow tabs; use spaces", "spaces"],
    ),
    "tab in a yaml list": (
        "posts/tablist.md",
        b"---\ntitle: Tab\ndate: 2024-01-01\ntags:\n  - a\n\t- b\n---\nBody\n",
        ["posts/tablist.md:6", "YAML does not allow tabs; use spaces"],
    ),
    "missing title": (
        "posts/untitled.md",
        b"---\ndate: 2024-01-01\n---\nBody\n",
        ["posts/untitled.md:2", "has no title", "title:"],
    ),
    "impossible date": (
        "posts/feb30.md",
        b"---\ntitle: Leap\ndate: 2023-02-30\n---\nBody\n",
        ["posts/feb30.md:3", "not a real date", "2010-03-08"],
    ),
    "not a date": (
        "posts/when.md",
        b"---\ntitle: When\ndate: last tuesday\n---\nBody\n",
        ["posts/when.md:3", "is not a date"],
    ),
    "missing date": (
        "posts/nodate.md",
        b"---\ntitle: No date\n---\nBody\n",
        ["posts/nodate.md:2", "has no date", "draft: true"],
    ),
    "not utf-8": (
        "posts/latin1.md",
        "---\ntitle: Caf\u00e9\ndate: 2024-01-01\n---\nD\u00e9j\u00e0\n".encode("latin-1"),
        ["posts/latin1.md:2", "not UTF-8", "re-save it as UTF-8"],
    ),
    "no front matter": (
        "posts/plain.md",
        b"Just text\n",
        ["posts/plain.md:1", "no front matter", "---"],
    ),
    "unclosed front matter": (
        "posts/open.md",
        b"---\ntitle: Open\ndate: 2024-01-01\nBody\n",
        ["posts/open.md:1", "never closed"],
    ),
    "slug escapes": (
        "posts/escape.md",
        b"---\ntitle: Escape\ndate: 2024-01-01\nslug: ../../etc\n---\nBody\n",
        ["posts/escape.md:4", "escape the output folder"],
    ),
    "bad toml front matter": (
        "posts/hugo.md",
        b"+++\ntitle = Unquoted\n+++\nBody\n",
        ["posts/hugo.md:2", "invalid TOML front matter", "quotes"],
    ),
    "tags not a list": (
        "posts/tags.md",
        b"---\ntitle: T\ndate: 2024-01-01\ntags: {a: 1}\n---\nBody\n",
        ["posts/tags.md:4", "`tags` must be a list"],
    ),
    "bad syndicate": (
        "posts/synd.md",
        b"---\ntitle: T\ndate: 2024-01-01\nsyndicate: [mastodn]\n---\nBody\n",
        ["posts/synd.md:4", "unknown network", "did you mean `mastodon`?"],
    ),
    # The tricky site is in New York: these moments have no date there (before year 1 or
    # after 9999), and used to crash every command with an OverflowError.
    "first moment of the calendar": (
        "posts/year1.md",
        b"---\ntitle: T\ndate: 0001-01-01T00:00:00Z\n---\nBody\n",
        ["posts/year1.md:3", "too close to the limits of the calendar", "0001-01-02"],
    ),
    "last moment of the calendar": (
        "posts/year9999.md",
        b"---\ntitle: T\ndate: 9999-12-31T23:59:59-12:00\n---\nBody\n",
        ["posts/year9999.md:3", "too close to the limits of the calendar", "9999-12-30"],
    ),
    "updated at the first moment": (
        "posts/updated1.md",
        b"---\ntitle: T\ndate: 2024-01-01\nupdated: \"0001-01-01T00:00:00Z\"\n---\nBody\n",
        ["posts/updated1.md:4", "`updated`", "too close to the limits of the calendar"],
    ),
    "file name at the first day": (
        "posts/0001-01-01-premier.md",
        b"---\ntitle: T\n---\nBody\n",
        ["posts/0001-01-01-premier.md:2", "has no date"],
    ),
}


@pytest.fixture
def built_site(make_site, cli):
    site = make_site("tricky")
    assert cli(site, "build").code == 0
    return site


@pytest.mark.parametrize("case", sorted(POST_ERRORS))
def test_post_error_is_clear_and_keeps_previous_site(built_site, cli, case):
    rel, content, fragments = POST_ERRORS[case]
    before = tree(built_site / "public")
    (built_site / rel).write_bytes(content)
    result = cli(built_site, "build")
    assert result.code == 1
    for fragment in fragments:
        assert fragment in result.err, result.err
    assert "Traceback" not in result.err
    assert tree(built_site / "public") == before


def test_all_problems_are_reported_at_once(built_site, cli):
    for name in ("bad yaml", "missing title", "impossible date", "not utf-8"):
        rel, content, _ = POST_ERRORS[name]
        (built_site / rel).write_bytes(content)
    (built_site / "theme").mkdir()
    (built_site / "theme/post.html").write_text("{% if %}")
    result = cli(built_site, "build")
    assert result.code == 1
    for f in ("posts/bad.md", "posts/untitled.md", "posts/feb30.md", "posts/latin1.md", "theme/post.html"):
        assert f in result.err
    assert "5 errors" in result.err


def test_two_posts_with_one_url(built_site, cli):
    (built_site / "posts/copy.md").write_text(
        "---\ntitle: Other\nslug: mixed-scripts\ndate: 2024-02-03\n---\nBody\n"
    )
    result = cli(built_site, "build")
    assert result.code == 1
    assert "/2024/02/mixed-scripts/ is already used by" in result.err
    assert "posts/copy.md" in result.err and "posts/mixed.md" in result.err


def test_template_syntax_error_names_file_and_line(built_site, cli):
    before = tree(built_site / "public")
    (built_site / "theme").mkdir()
    (built_site / "theme/post.html").write_text(
        "{% extends 'base.html' %}\n{% block content %}\n{{ post.title }\n"
    )
    result = cli(built_site, "build")
    assert result.code == 1
    assert "theme/post.html:3" in result.err and "template syntax error" in result.err
    assert tree(built_site / "public") == before


def test_template_runtime_error_names_file_and_line(built_site, cli):
    (built_site / "theme").mkdir()
    (built_site / "theme/page.html").write_text(
        "{% extends 'base.html' %}\n{% block content %}\n<p>{{ post.no_such_field }}</p>\n{% endblock %}\n"
    )
    result = cli(built_site, "build")
    assert result.code == 1
    assert "theme/page.html:3" in result.err and "no_such_field" in result.err


CONFIG_ERRORS = {
    "unknown key": ('[site]\ntitel = "x"\n', ["site.toml:2", "unknown key `titel`", "did you mean `title`?"]),
    "unknown table": ('[sit]\ntitle = "x"\n', ["site.toml:1", "unknown table [sit]", "did you mean `site`?"]),
    "toml syntax": ("[site]\ntitle = x\n", ["site.toml:2", "invalid TOML"]),
    "wrong type": ('[site]\npaginate = "ten"\n', ["site.toml:2", "must be a whole number"]),
    "bad timezone": (
        '[site]\ntimezone = "Paris"\n',
        ["site.toml:2", "not an IANA time zone", "Europe/Paris"],
    ),
    "bad url": ('[site]\nurl = "blog.example.org"\n', ["site.toml:2", "absolute http(s) URL"]),
    "bad permalink": (
        '[site]\npermalink = "/{year}/{titel}/"\n',
        ["site.toml:2", "{titel}", "must contain {slug}"],
    ),
    "unknown network": (
        '[social.mastodn]\ninstance = "https://m.example"\n',
        ["site.toml:1", "did you mean `mastodon`?"],
    ),
}


@pytest.mark.parametrize("case", sorted(CONFIG_ERRORS))
def test_config_errors(built_site, cli, case):
    text, fragments = CONFIG_ERRORS[case]
    before = tree(built_site / "public")
    (built_site / "site.toml").write_text(text)
    result = cli(built_site, "build")
    assert result.code == 1
    for fragment in fragments:
        assert fragment in result.err, result.err
    assert tree(built_site / "public") == before


def test_config_problems_are_all_reported(built_site, cli):
    (built_site / "site.toml").write_text('[site]\ntitel = "x"\npaginate = 0\ntimezone = "Mars/Olympus"\n')
    result = cli(built_site, "build")
    assert result.code == 1
    assert "titel" in result.err and "paginate" in result.err and "Mars/Olympus" in result.err


def test_no_site_toml(tmp_path, cli):
    result = cli(tmp_path, "build")
    assert result.code == 1
    assert "no site.toml here" in result.err and "blogsite init" in result.err


def test_misspelled_front_matter_key_warns_and_strict_fails(built_site, cli):
    (built_site / "posts/typo.md").write_text("---\ntitle: Typo\ndate: 2024-01-02\ntgas: [x]\n---\nBody\n")
    result = cli(built_site, "build")
    assert result.code == 0
    assert "warning: posts/typo.md:4: unknown front-matter key `tgas`" in result.err
    assert "did you mean `tags`?" in result.err
    before = tree(built_site / "public")
    strict = cli(built_site, "build", "--strict")
    assert strict.code == 1 and "error: posts/typo.md:4" in strict.err
    assert tree(built_site / "public") == before


def test_refuses_to_replace_a_foreign_folder(built_site, cli, tmp_path):
    foreign = tmp_path / "precious"
    foreign.mkdir()
    (foreign / "thesis.txt").write_text("years of work")
    result = cli(built_site, "build", "--output", str(foreign))
    assert result.code == 1 and "was not written by blogsite" in result.err
    assert (foreign / "thesis.txt").read_text() == "years of work"


def test_usage_error_exits_2(built_site, cli):
    result = cli(built_site, "build", "--no-such-option")
    assert result.code == 2 and "unrecognized arguments" in result.err


def test_no_traceback_in_a_real_process(built_site):
    (built_site / "posts/bad.md").write_text("---\ntitle: [unclosed\n---\n")
    proc = subprocess.run(
        [sys.executable, "-m", "blogsite", "build"], cwd=built_site, capture_output=True, text=True
    )
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr and "posts/bad.md:2" in proc.stderr
