"""`blogsite deploy` itself: the [deploy.*] tables, the choice of targets, and the refusal
to upload anything but what the last successful build wrote."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest

from blogsite.deploy.plan import html_last
from blogsite.deploy.settings import url_kind
from tests.deploy.conftest import set_target


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("ssh://me@example.org/var/www/blog/", "ssh"),
        ("ssh://me@example.org:2222/var/www/blog/", "ssh"),
        ("git:gh-pages", "git"),
        ("https://codeberg.org/me/pages.git#main", "git"),
        ("git@github.com:me/me.github.io.git#gh-pages", "git"),
        ("ssh://git@example.org/me/site.git#pages", "git"),
        ("s3://my-blog/", "s3"),
        ("s3://my-blog/blog/", "s3"),
        ("ftp://example.org/", ""),
        ("/var/www/blog", ""),
        ("git:", ""),
    ],
)
def test_the_url_names_the_kind_of_target(url, kind):
    assert url_kind(url) == kind


def test_mistakes_in_deploy_tables_are_all_reported_with_their_line(blog, cli):
    set_target(blog, "web", 'url = "ftp://example.org/"\n')
    set_target(blog, "edge", 'url = "ssh://me@example.org/srv/"\nregion = "eu-west-3"\n')
    set_target(blog, "bucket", 'url = "s3://b/"\ncache_controll = {html = "no-cache"}\n'
                               'cache_control = {pages = "no-cache"}\n')
    set_target(blog, "pages", 'cname = "blog.example.org"\n')
    result = cli(blog, "deploy")
    assert result.code == 1 and "Traceback" not in result.err
    err = result.err
    assert "[deploy.web] url 'ftp://example.org/' is not a deploy target" in err
    assert "[deploy.edge] region only applies to s3:// targets" in err
    assert "unknown key `cache_controll` in [deploy.bucket]" in err and "cache_control" in err
    assert "cache_control has an unknown kind `pages`" in err
    assert "[deploy.pages] needs a url" in err
    lines = (blog / "site.toml").read_text(encoding="utf-8").splitlines()
    number = next(i for i, line in enumerate(lines, 1) if line.startswith("cache_controll"))
    assert f"site.toml:{number}:" in err


def test_no_target_and_unknown_targets_are_errors(blog, cli):
    result = cli(blog, "deploy")
    assert result.code == 1 and "no deploy target is configured" in result.err
    set_target(blog, "web", 'url = "ssh://me@example.org/var/www/blog/"\n')
    result = cli(blog, "deploy", "--target", "wbe")
    assert result.code == 1 and "--target wbe: no [deploy.wbe] table" in result.err
    assert "did you mean `web`?" in result.err


def test_a_missing_or_unbuilt_output_folder_is_refused(blog, cli):
    set_target(blog, "web", 'url = "ssh://me@no-such-host.invalid/var/www/blog/"\n')
    shutil.rmtree(blog / "public")
    result = cli(blog, "deploy")
    assert result.code == 1
    assert "the output folder does not exist" in result.err and "blogsite build" in result.err
    (blog / "public").mkdir()
    (blog / "public" / "index.html").write_text("<p>à la main</p>")
    shutil.rmtree(blog / ".blogsite-cache")
    result = cli(blog, "deploy")
    assert result.code == 1 and "no successful build into it is recorded" in result.err


@pytest.mark.parametrize("damage", ["edited", "removed", "added"])
def test_an_output_folder_changed_since_the_build_is_refused(blog: Path, cli, damage):
    set_target(blog, "web", 'url = "ssh://me@no-such-host.invalid/var/www/blog/"\n')
    page = blog / "public" / "index.html"
    if damage == "edited":
        page.write_text(page.read_text(encoding="utf-8") + "<!-- à la main -->", encoding="utf-8")
    elif damage == "removed":
        page.unlink()
    else:
        (blog / "public" / "stray.html").write_text("<p>?</p>")
    result = cli(blog, "deploy", "--dry-run")
    assert result.code == 1 and "Traceback" not in result.err
    assert "is not what the last successful build wrote" in result.err
    assert "run `blogsite build`" in result.err


def test_a_failed_build_leaves_nothing_deployable(blog: Path, cli):
    """The build refuses a broken post; the deploy then refuses the output folder only if the
    build touched it, and a deploy never follows the failed build in `publish` (which raises)."""
    set_target(blog, "web", 'url = "ssh://me@no-such-host.invalid/var/www/blog/"\n')
    (blog / "posts" / "broken.md").write_text("---\ntitle: [oops\n---\nx\n", encoding="utf-8")
    assert cli(blog, "build").code == 1
    result = cli(blog, "deploy", "--dry-run")
    # The folder is still the last successful build's: only the ssh host is wrong here.
    assert "unknown host" in result.err and "output folder" not in result.err


def test_pages_go_last_deepest_first_and_the_home_page_last_of_all():
    order = html_last(["index.html", "a/b/index.html", "style.css", "rss.xml", "a/index.html"])
    assert order == ["rss.xml", "style.css", "a/b/index.html", "a/index.html", "index.html"]


def test_every_deploy_key_is_documented_in_the_readme():
    from blogsite.deploy.settings import CACHE_KINDS, KEYS

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    assert "### `[deploy.NAME]`" in readme
    for key in (*KEYS, *CACHE_KINDS):
        assert f"`{key}`" in readme, key


@pytest.mark.parametrize("workflow", ["publish", "publish-s3"])
def test_the_github_actions_recipes_restore_the_cache_then_build_deploy_publish(workflow):
    import re

    import yaml

    docs = Path(__file__).resolve().parents[2] / "docs" / "deploying.md"
    block = re.search(rf"```yaml\n(name: {workflow}\n.*?)```", docs.read_text(encoding="utf-8"),
                      re.S)
    assert block is not None
    recipe = yaml.safe_load(block.group(1))
    assert recipe["permissions"]["contents"] == "write"
    steps = recipe["jobs"]["publish"]["steps"]
    runs = [step.get("run", step.get("uses", "")) for step in steps]
    cache = next(i for i, r in enumerate(runs) if r.startswith("actions/cache@"))
    assert set(steps[cache]["with"]["path"].split()) == {".blogsite-cache", "public"}
    assert cache < runs.index("blogsite build") < runs.index("blogsite deploy") \
        < runs.index("blogsite publish")
    for step in steps:
        for value in (step.get("env") or {}).values():
            assert value.startswith("${{ secrets."), value


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(("stream", "shown"), [(_Terminal(), True), (io.StringIO(), False)],
                         ids=["terminal", "log"])
def test_the_progress_bar_shows_on_a_terminal_only(stream, shown):
    from blogsite.deploy.plan import Progress

    steps: list[str] = []
    progress = Progress("web", stream, on_step=lambda action, path: steps.append(path))
    progress.start(2)
    progress.step("uploading", "réseaux-sociaux/index.html")
    progress.step("deleting", "vieux/index.html")
    progress.finish()
    assert steps == ["réseaux-sociaux/index.html", "vieux/index.html"]
    text = stream.getvalue()
    assert ("web [" in text and "2/2" in text and "deleting vieux/index.html" in text) == shown
    assert shown or text == ""
