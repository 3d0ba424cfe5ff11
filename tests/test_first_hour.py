"""What a new user meets in the first hour: typos in commands, running from a sub-folder,
the placeholder URL, plurals, French footnotes, and `blogsite new`'s options."""

from __future__ import annotations

import time

from blogsite.config import load_config
from blogsite.serve import start


def test_a_misspelt_command_gets_a_did_you_mean(cli, tmp_path):
    result = cli(tmp_path, "biuld")
    assert result.code == 2
    assert "unknown command `biuld`" in result.err
    assert "did you mean `blogsite build`?" in result.err
    assert "Traceback" not in result.err


def test_commands_find_the_site_in_a_parent_folder(cli, make_site):
    site = make_site("tricky")
    result = cli(site / "posts", "build")
    assert result.code == 0, result.err
    assert (site / "public/index.html").is_file()
    assert not (site / "posts/public").exists()
    new = cli(site / "posts", "new", "From a sub-folder")
    assert new.code == 0 and (site / new.out.strip()).is_file()


def test_dash_c_runs_in_the_given_folder_before_or_after_the_command(cli, make_site, tmp_path):
    site = make_site("tricky")
    assert cli(tmp_path, "-C", str(site), "build").code == 0
    assert (site / "public/index.html").is_file()
    assert cli(tmp_path, "check", "-C", "tricky").code == 0
    missing = cli(tmp_path, "-C", "nowhere", "build")
    assert missing.code == 2 and "nowhere" in missing.err


def test_no_site_anywhere_says_so(cli, tmp_path):
    result = cli(tmp_path, "build")
    assert result.code == 1
    assert "no site.toml here or in a parent folder" in result.err
    assert "-C DIR" in result.err


def test_the_placeholder_url_is_a_warning_on_build(cli, tmp_path):
    assert cli(tmp_path, "init", "blog").code == 0
    result = cli(tmp_path / "blog", "build")
    assert result.code == 0
    assert "warning: site.toml:4: [site] url is still the placeholder" in result.err
    strict = cli(tmp_path / "blog", "build", "--strict")
    assert strict.code == 1 and "error: site.toml:4: [site] url" in strict.err
    toml = tmp_path / "blog/site.toml"
    toml.write_text(toml.read_text().replace("blog.example.org", "monblog.fr"))
    assert "placeholder" not in cli(tmp_path / "blog", "build").err


def test_one_post_is_one_post(cli, tmp_path):
    assert cli(tmp_path, "init", "blog").code == 0
    result = cli(tmp_path / "blog", "build")
    assert "Built 1 post, " in result.out and "1 posts" not in result.out


def test_a_failed_rebuild_counts_one_problem(make_site, capsys):
    site = make_site("tricky")
    httpd, stop, preview = start(load_config(site), port=0)
    try:
        version = preview.version
        (site / "posts/broken.md").write_text("---\ntitle: [oops\n---\n")
        deadline = time.monotonic() + 5
        while preview.version == version and time.monotonic() < deadline:
            time.sleep(0.05)
        assert "Rebuild failed (1 problem):" in capsys.readouterr().err
    finally:
        stop.set()
        httpd.shutdown()
        httpd.server_close()


def test_init_on_a_taken_folder_suggests_a_free_one(cli, tmp_path):
    (tmp_path / "myblog").mkdir()
    (tmp_path / "myblog/notes.txt").write_text("mine")
    result = cli(tmp_path, "init", "myblog")
    assert result.code == 1
    assert "blogsite init myblog`" not in result.err
    assert "`blogsite init myblog-2`" in result.err
    assert cli(tmp_path, "init", "myblog-2").code == 0


def test_footnote_back_links_speak_the_page_language(cli, make_site):
    site = make_site("example")
    assert cli(site, "build").code == 0
    page = (site / "public/2010/04/la-setlist-de-la-tournee/index.html").read_text()
    assert 'class="footnote-backref"' in page
    assert "Jump back" not in page
    assert "Revenir à l’appel de note 1 dans le texte" in page


def test_new_with_tags_and_slug(cli, make_site):
    site = make_site("example")
    result = cli(site, "new", "Influence", "--tags", "Twitter, Réseaux sociaux", "--tags",
                 'dit "oui"', "--slug", "influence-2", "--no-draft")
    assert result.code == 0, result.err
    assert result.out.strip() == "posts/influence-2.md"
    text = (site / "posts/influence-2.md").read_text()
    assert 'tags: ["Twitter", "Réseaux sociaux", "dit \\"oui\\""]' in text
    assert "slug: influence-2" in text
    assert cli(site, "build").code == 0
    post = next((site / "public").rglob("influence-2/index.html")).read_text()
    assert "Réseaux sociaux" in post and "dit" in post
    bad = cli(site, "new", "X", "--slug", "../escape")
    assert bad.code == 2 and "--slug" in bad.err
    assert not list(site.rglob("escape.md"))


def test_new_page(cli, make_site):
    site = make_site("example")
    result = cli(site, "new", "Mentions légales", "--page", "--no-draft")
    assert result.code == 0, result.err
    assert result.out.strip() == "pages/mentions-legales.md"
    text = (site / "pages/mentions-legales.md").read_text()
    assert "date:" not in text and "tags" not in text
    assert cli(site, "build").code == 0
    assert (site / "public/mentions-legales/index.html").is_file()
    assert cli(site, "new", "X", "--page", "--tags", "a").code == 2


def test_every_option_of_every_command_is_in_the_readme():
    import argparse

    from blogsite.cli import _parser
    from tests.conftest import ROOT

    readme = (ROOT / "README.md").read_text()
    parser = _parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    for name, command in [("blogsite", parser), *commands.choices.items()]:
        for action in command._actions:
            for option in action.option_strings:
                if option not in ("-h", "--help", "--version"):
                    assert f"`{option}" in readme or f" {option}" in readme, (name, option)
