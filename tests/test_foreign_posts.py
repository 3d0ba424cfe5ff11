"""Posts written for Jekyll, Pelican and Hugo, built without `blogsite import`: dated file
names, Hugo's dates, and the `blogsite check` warning for template syntax no one ran."""

from __future__ import annotations

from pathlib import Path

import feedparser

from blogsite import check
from blogsite.config import load_config


def _site(tmp_path: Path, cli) -> Path:
    assert cli(tmp_path, "init", "site").code == 0
    site = tmp_path / "site"
    for post in (site / "posts").glob("*.md"):
        post.unlink()
    return site


def test_date_and_slug_come_from_a_dated_file_name(tmp_path, cli):
    site = _site(tmp_path, cli)
    (site / "posts/2015-03-08-my-first-post.md").write_text("---\ntitle: Un tout autre titre\n---\nHello\n")
    # A date in the front matter wins, and the slug then comes from the title as before.
    (site / "posts/2016-01-02-other.md").write_text("---\ntitle: Dated Inside\ndate: 2017-05-06\n---\nx\n")
    # Not a real day: the file name is only a name.
    (site / "posts/2015-02-30-nope.md").write_text("---\ntitle: Nope\n---\nx\n")
    result = cli(site, "build")
    assert result.code == 1
    assert "2015-02-30-nope.md" in result.err and "has no date" in result.err
    assert "2015-03-08-my-first-post.md" not in result.err
    (site / "posts/2015-02-30-nope.md").unlink()
    result = cli(site, "build")
    assert result.code == 0, result.err
    page = site / "public/2015/03/my-first-post/index.html"
    assert page.is_file()
    assert "2015-03-08" in page.read_text()
    assert (site / "public/2017/05/dated-inside/index.html").is_file()


def test_hugo_single_digit_hours_are_dates(tmp_path, cli):
    site = _site(tmp_path, cli)
    (site / "posts/hugo.md").write_text('---\ntitle: Hugo\ndate: "2014-05-02T8:09:26"\n---\nx\n')
    (site / "posts/toml.md").write_text('+++\ntitle = "Toml"\ndate = "2014-05-03 8:09:26+02:00"\n+++\nx\n')
    result = cli(site, "build")
    assert result.code == 0, result.err
    assert "2014-05-02T08:09:26" in (site / "public/2014/05/hugo/index.html").read_text()
    assert "2014-05-03T08:09:26+02:00" in (site / "public/2014/05/toml/index.html").read_text()


def test_check_warns_about_raw_template_syntax_naming_the_post(tmp_path, cli):
    site = _site(tmp_path, cli)
    posts = site / "posts"
    (posts / "hugo.md").write_text(
        '---\ntitle: Hugo\ndate: 2020-01-01\n---\n{{< figure src="/a.png" >}}\n\nText.\n'
    )
    (posts / "liquid.md").write_text(
        "---\ntitle: Liquid\ndate: 2020-01-02\n---\n{% highlight ruby %}\nx = 1\n{% endhighlight %}\n"
    )
    (posts / "pelican.md").write_text(
        "---\ntitle: Pelican\ndate: 2020-01-03\n---\n![chat]({static}/images/chat.png)\n"
    )
    # Template syntax shown as an example, in code, is what the writer meant.
    (posts / "example.md").write_text(
        "---\ntitle: Example\ndate: 2020-01-04\n---\nWrite `{{< youtube id >}}`:\n\n"
        "    {% include note.html %}\n"
    )
    result = cli(site, "check")
    warned = [line for line in result.err.splitlines() if "raw template syntax" in line]
    assert sorted(line.split(":")[1].strip() for line in warned) == [
        "posts/hugo.md", "posts/liquid.md", "posts/pelican.md",
    ], result.err
    assert any("`{{< figure" in line for line in warned), warned
    assert any("`{static}/images/chat.png`" in line for line in warned), warned


def test_check_parses_one_feed_of_each_kind_and_checks_the_others(tmp_path, cli, monkeypatch):
    site = _site(tmp_path, cli)
    for n in range(12):
        tags = ", ".join(f"tag{n}-{k}" for k in range(3))
        front = f"title: P{n}\ndate: 2020-01-{n + 1:02d}\ntags: [{tags}]"
        (site / f"posts/p{n}.md").write_text(f"---\n{front}\n---\nx\n")
    parsed: list[int] = []
    real_parse = feedparser.parse

    def counting_parse(data, *args, **kwargs):
        parsed.append(1)
        return real_parse(data, *args, **kwargs)

    monkeypatch.setattr(feedparser, "parse", counting_parse)
    result = cli(site, "check")
    assert result.code == 0, result.err
    assert len(parsed) == 2

    # A broken tag feed is still found, without a full parse.
    from blogsite.build import plan

    _, files = plan(load_config(site))
    rel = "tags/tag5-1/rss.xml"
    assert rel in files
    files[rel] = b"<rss><channel><title>x & y</title></channel></rss>"
    files["tags/tag5-1/feed.json"] = b'{"version": "https://jsonfeed.org/version/1.1"}'
    problems = check.check_feeds(files)
    assert [p.file for p in problems] == ["tags/tag5-1/feed.json", "tags/tag5-1/rss.xml"]
    assert "invalid feed" in problems[1].message
