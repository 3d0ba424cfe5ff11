"""The comments folder: reading (typed, sanitized, errors with file and line), the threaded
display under the post with its anchors and microformats, and the localized counts."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from blogsite.build import build_site
from blogsite.build.options import BuildOptions
from blogsite.comments import MAX_BYTES, load_folder, read_comment, read_reactions, sanitize, thread
from blogsite.config import load_config
from blogsite.errors import BlogsiteError, Problem
from blogsite.i18n import count_of
from tests.conftest import SITES

MIXED = SITES / "tricky" / "comments" / "mixed"


def test_a_folder_reads_into_typed_comments_oldest_first():
    problems: list[Problem] = []
    comments, reactions = load_folder(MIXED, problems)
    assert problems == []
    assert [c.id for c in comments] == ["103", "100", "101", "102", "104"]
    first = comments[1]
    assert first.author == "Zoë <O'Brien> & Co"
    assert first.anchors == ("comment-100",)
    assert first.date.utcoffset() is not None
    assert comments[2].own and comments[2].parent == "100"
    assert not comments[0].approved
    assert comments[4].kind == "pingback"
    assert [r.network for r in reactions] == ["bluesky", "mastodon"]
    assert [p.name for p in reactions[1].likes] == ["Anne", "Léo"]


def test_bodies_are_sanitized_by_an_allow_list():
    clean = sanitize('<p onclick="x()">Hi <a href="javascript:alert(1)">a</a><script>alert(2)</script>'
                     '<b style="color:red">b</b><img src=x onerror=y><iframe src="//e"></iframe>'
                     '<a href="https://ok.example/">ok</a></p>')
    assert "onclick" not in clean and "javascript:" not in clean and "<script" not in clean
    assert "style" not in clean and "<img" not in clean and "<iframe" not in clean
    assert '<a href="https://ok.example/" rel="nofollow ugc noopener">ok</a>' in clean
    assert sanitize("Un & deux\n\n<trois>") == "<p>Un &amp; deux</p>\n<p>&lt;trois&gt;</p>"


def _write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ('---\nid: "7"\nauthor: A\ndate: hier\n---\nx\n', 4, "not a date"),
        ('---\nid: "7"\nauthor: A\ndate: 2010-03-16T10:12:00\n---\nx\n', 4, "no offset"),
        ('---\nid: "7"\ndate: 2010-03-16T10:12:00+01:00\n---\nx\n', 1, "no `author`"),
        ('---\nid: "7"\nauthor: A\ndate: 2010-03-16T10:12:00+01:00\napproved: oui\n---\n', 5,
         "true or false"),
        ('---\nid: "7"\nauthor: A\ndate: 2010-03-16T10:12:00+01:00\nemail: a@b.c\n---\n', 5, "unknown key"),
        ('---\nid: "7"\nauthor: A\ndate: 2010-03-16T10:12:00+01:00\nsource: myspace\n---\n', 5, "not one of"),
        ('---\nid: "7"\nauthor: [A\n---\nx\n', 3, "invalid YAML"),
        ('---\nid: "8"\nauthor: A\ndate: 2010-03-16T10:12:00+01:00\n---\nx\n', 2, "not its file name"),
        ('---\nid: "7"\nauthor: A\ndate: 2010-03-16T10:12:00+01:00\nauthor_url: "javascript:x"\n---\n', 5,
         "http(s)"),
    ],
)
def test_a_malformed_comment_names_its_file_and_line(tmp_path, text, line, words):
    path = _write(tmp_path / "p", "7.md", text)
    problems: list[Problem] = []
    assert read_comment(path, problems) is None
    assert problems and problems[0].line == line and words in problems[0].message
    assert problems[0].file.endswith("7.md")


def test_a_comment_over_the_size_cap_is_refused(tmp_path):
    body = "x" * MAX_BYTES
    head = '---\nid: "7"\nauthor: A\ndate: 2010-03-16T10:12:00+01:00\n---\n'
    path = _write(tmp_path / "p", "7.md", head + body)
    problems: list[Problem] = []
    assert read_comment(path, problems) is None
    assert "limit" in problems[0].message


def test_bad_reactions_name_their_line(tmp_path):
    path = _write(tmp_path, "reactions.yaml", "mastodon:\n  likes: [{name: A}]\n  reposts: oops\n")
    problems: list[Problem] = []
    assert read_reactions(path, problems) == []
    assert problems[0].line == 3 and "reposts" in problems[0].message


def test_replies_thread_under_their_parent_and_orphans_stay_at_the_top():
    problems: list[Problem] = []
    comments, _ = load_folder(MIXED, problems)
    orphan = comments[3].__class__(**{**comments[3].__dict__, "id": "9", "parent": "gone"})
    nodes = thread((*comments[1:4], orphan))
    assert [n.comment.id for n in nodes] == ["100", "9"]
    assert [r.comment.id for r in nodes[0].replies] == ["101"]
    assert [r.comment.id for r in nodes[0].replies[0].replies] == ["102"]


@pytest.mark.parametrize(
    ("n", "lang", "text"),
    [(1, "fr", "1 commentaire"), (2, "fr", "2 commentaires"), (0, "fr", "0 commentaire"),
     (1, "en", "1 comment"), (0, "en", "0 comments"), (3, "de", "3 comments")],
)
def test_counts_follow_the_languages_plural_rules(n, lang, text):
    assert count_of(n, "comments", lang) == text


@pytest.fixture
def tricky(make_site) -> Path:
    root = make_site("tricky")
    build_site(load_config(root))
    return root


def _page(root: Path, part: str) -> str:
    [found] = [p for p in (root / "public").rglob("index.html") if part in p.as_posix()]
    return found.read_text()


def test_the_post_page_shows_approved_comments_threaded_inside_the_h_entry(tricky):
    html = _page(tricky, "mixed-scripts/")
    entry = html[html.index('class="h-entry'):html.rindex("</article>")]
    assert 'id="c100"' in entry and 'id="comment-100"' in entry
    assert re.search(r'class="comment h-cite p-comment" id="c100"', entry)
    assert 'rel="nofollow ugc" href="https://zoe.example.net/">Zoë &lt;O&#39;Brien&gt; &amp; Co</a>' in entry
    assert "Buy now" not in html and 'id="c103"' not in html  # unapproved
    assert "<script" not in entry.split('class="comments"')[1] and "onclick" not in html
    # 102 replies to 101, which replies to 100: nested in that order.
    assert entry.index('id="c100"') < entry.index('id="c101"') < entry.index('id="c102"')
    assert entry.count('class="replies"') == 2
    assert '<h2>3 comments</h2>' in entry and "another.example.com/a-post/" in entry
    assert "Mastodon: 2 likes · 1 repost" in entry and "Bluesky: 1 like" in entry


def test_listings_show_the_count(tricky):
    assert "3 comments" in (tricky / "public" / "tags" / "i18n" / "index.html").read_text()


def test_the_example_blogs_sample_post_has_its_french_comment(make_site):
    root = make_site("example")
    build_site(load_config(root))
    html = _page(root, "influence-reputation")
    # Blogger's comment, then the Mastodon reply and the author's answer threaded under it.
    assert html.count("3 commentaires") == 2  # the header and the comments' heading
    assert 'id="c7324550912"' in html and "16 mars 2010" in html
    assert html.index('id="c7324550912"') < html.index('id="cmastodon-111234567890123456"') \
        < html.index('id="cmastodon-111234567890129999"')
    assert "2 j’aime · 1 partage" in html


def test_a_theme_can_override_the_comments_template(tricky):
    (tricky / "theme").mkdir(exist_ok=True)
    (tricky / "theme" / "comments.html").write_text(
        "{% for c in post.comments %}<p id=\"c{{ c.id }}\">{{ c.author }}</p>{% endfor %}"
    )
    build_site(load_config(tricky))
    html = _page(tricky, "mixed-scripts/")
    assert '<p id="c101">Ada</p>' in html and 'class="replies"' not in html


def test_a_malformed_comment_is_a_build_error_and_the_site_stays(tricky, cli):
    before = _page(tricky, "mixed-scripts/")
    _write(tricky / "comments" / "mixed", "105.md", '---\nid: "105"\nauthor: X\ndate: demain\n---\nx\n')
    result = cli(tricky, "build")
    assert result.code == 1
    assert "comments/mixed/105.md:4" in result.err and "Traceback" not in result.err
    assert _page(tricky, "mixed-scripts/") == before
    with pytest.raises(BlogsiteError):
        build_site(load_config(tricky), options=BuildOptions(cache=False))


def test_a_new_comment_rebuilds_the_pages_that_show_the_post(tricky):
    public = tricky / "public"
    before = {p: p.read_bytes() for p in public.rglob("*") if p.is_file()}
    _write(tricky / "comments" / "mixed", "106.md",
           '---\nid: "106"\nauthor: Eve\ndate: 2021-06-01T10:00:00-04:00\n---\nHello\n')
    result = build_site(load_config(tricky))
    changed = {p.relative_to(public).as_posix() for p, b in before.items() if p.read_bytes() != b}
    assert result.changed == len(changed)
    assert any("mixed-scripts/index.html" in c for c in changed)
    assert "tags/i18n/index.html" in changed
    assert not any(c.startswith("2023/") or "french" in c for c in changed)
