"""The rules of each generator that `blogsite import DIR` follows: permalink styles, dates,
headers, kramdown, shortcodes kept visibly, language detection."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import markdown
import pytest

from blogsite.importers.ssg.dates import parse_foreign_date
from blogsite.importers.ssg.hugo_shortcodes import convert_hugo
from blogsite.importers.ssg.kramdown import convert_kramdown
from blogsite.importers.ssg.language import detect_language
from blogsite.importers.ssg.liquid import LiquidConverter
from blogsite.importers.ssg.model import Kind, SourceDoc
from blogsite.importers.ssg.pelican import split_headers
from blogsite.importers.ssg.permalinks import as_alias, hugo_url, jekyll_url, pelican_url
from blogsite.importers.ssg.refs import Refs

PARIS = ZoneInfo("Europe/Paris")
WHEN = datetime(2015, 3, 8, 21, 14, tzinfo=PARIS)


@pytest.mark.parametrize(
    ("style", "url"),
    [
        ("date", "/voyage/2015/03/08/my-post.html"),
        ("pretty", "/voyage/2015/03/08/my-post/"),
        ("ordinal", "/voyage/2015/067/my-post.html"),
        ("none", "/voyage/my-post.html"),
        ("/:year/:month/:day/:title/", "/2015/03/08/my-post/"),
        ("/blog/:i_month/:short_year/:title:output_ext", "/blog/3/15/my-post.html"),
    ],
)
def test_jekyll_permalink_styles(style, url):
    assert jekyll_url(style, WHEN, "my-post", ["Voyage"]) == url


def test_hugo_and_pelican_patterns():
    values = {"slug": "mon-billet", "title": "mon-billet", "filename": "x", "section": "posts"}
    assert hugo_url("/:year/:month/:slug/", WHEN, values) == "/2015/03/mon-billet/"
    assert hugo_url("/:section/:filename/", WHEN, values) == "/posts/x/"
    fields = {"slug": "s", "lang": "fr", "category": "musique", "author": ""}
    pattern = "{category}/{date:%Y}/{date:%m}/{slug}.html"
    assert pelican_url(pattern, WHEN, fields) == "/musique/2015/03/s.html"
    assert as_alias("/a/b") == "/a/b/" and as_alias("/a/b.html") == "/a/b.html"


@pytest.mark.parametrize(
    ("raw", "iso"),
    [
        ("2014-05-02T8:09:26", "2014-05-02T08:09:26+02:00"),
        ("2015-03-08 10:20:00 +0100", "2015-03-08T10:20:00+01:00"),
        ("2015-03-08 10:20", "2015-03-08T10:20:00+01:00"),
        ("03/12/2010", "2010-12-03T00:00:00+01:00"),
        ("2015-03-08T10:20:00Z", "2015-03-08T10:20:00+00:00"),
    ],
)
def test_foreign_dates(raw, iso):
    found = parse_foreign_date(raw, PARIS)
    assert found is not None and found.isoformat() == iso


def test_go_zero_time_and_nonsense_are_no_date():
    assert parse_foreign_date("0001-01-01T00:00:00Z", PARIS) is None
    assert parse_foreign_date("someday", PARIS) is None


def test_pelican_headers_continue_and_stop_at_the_first_blank_line():
    meta, body = split_headers("Title: Tweeter: or not?\nTags: a,\n  b\n\nBody: not a header.\n")
    assert meta == {"title": "Tweeter: or not?", "tags": "a, b"}
    assert body == "Body: not a header.\n"
    assert split_headers("Just text\nTitle: no\n") == ({}, "Just text\nTitle: no\n")


def test_kramdown_toc_and_attribute_lists_go():
    text = (
        "* TOC\n{:toc}\n\n## Title\n{: #id .lead}\n\n"
        'A [link](x){:target="_blank"}.\n{::comment}\nhidden\n{:/}\n'
    )
    assert convert_kramdown(text) == "[TOC]\n\n## Title\n\nA [link](x).\n\n"


def _doc(body: str) -> SourceDoc:
    return SourceDoc(Path("x.md"), "posts/x.md", Kind.POST, {}, body)


def test_unknown_syntax_is_kept_visibly_never_as_broken_html(tmp_path):
    liquid = LiquidConverter(tmp_path)
    for convert, body in (
        (liquid, 'Text {%- assign x = "a" -%} and {{ page.title | upcase }}.'),
        (convert_hugo, "Text {{< tabs >}}inner{{< /tabs >}} and {{% mine a=\"<b>\" %}}."),
    ):
        result = convert(_doc(body), Refs())
        assert len(result.unknown) >= 2
        html = markdown.markdown(result.body, extensions=["attr_list"])
        assert html.count("<code>") == len(result.unknown) and "<b>" not in html, html


def test_references_to_missing_posts_are_reported(tmp_path):
    result = LiquidConverter(tmp_path)(_doc("[x]({% post_url 2010-01-01-gone %})"), Refs())
    assert result.unknown == ["{% post_url 2010-01-01-gone %}"]


def test_language_detection_works_offline():
    assert detect_language("We spent the whole weekend in the studio recording the new songs, and "
                           "the drummer finally agreed to play with a click track.") == "en"
    assert detect_language("Nous sommes partis à l'aube, les sacoches pleines, vers le col que nous "
                           "regardions depuis des semaines depuis la fenêtre.") == "fr"
    assert detect_language("Too short.") is None
