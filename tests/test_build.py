"""`blogsite build` end to end on fixture sites: what a reader and a feed reader get."""

from __future__ import annotations

import html
import json
import re
import xml.etree.ElementTree as ET

import feedparser

from tests.conftest import tree


def built(make_site, cli, name="tricky", *args):
    site = make_site(name)
    result = cli(site, "build", *args)
    assert result.code == 0, result.err
    return site, site / "public"


def test_example_blog_builds_in_french(make_site, cli):
    site, public = built(make_site, cli, "example")
    page = (public / "2010/03/influence-reputation-et-legitimite-le-succes/index.html").read_text()
    assert '<html lang="fr">' in page
    assert "8 mars 2010" in page  # Babel's French date
    assert "Publié le" in page and "Étiquettes" in page
    # Smart punctuation and French spacing: ellipsis, guillemets with no-break spaces.
    assert "Influence, réputation et légitimité … le succès" in page
    assert "Stéphane\u202f!" in page
    assert "Non\u202f?" in page
    assert "«\u202fWow" in page
    # The MySpace URL is linked and untouched by typography.
    assert '<a href="http://myspace.com/my-own-fear">http://myspace.com/my-own-fear</a>' in page
    assert "<blockquote>" in page
    # "1 commentaire" was Blogger's comment count, not body text: now it is the count of the
    # comment in comments/, in the header and above the comment.
    body = page[page.index('class="e-content"'):page.index('id="comments"')]
    assert "1 commentaire" not in body
    assert page.count("3 commentaires") == 2  # Blogger's comment and the Mastodon thread
    assert (public / "a-propos/index.html").is_file()
    assert (public / "page/2/index.html").is_file()


def test_slug_is_transliterated_ascii(make_site, cli):
    _, public = built(make_site, cli, "example")
    assert (public / "2010/03/influence-reputation-et-legitimite-le-succes").is_dir()


def test_drafts_and_future_posts_never_leak(make_site, cli):
    _, public = built(make_site, cli)
    everything = b"".join(tree(public).values())
    for secret in (b"A draft in progress", b"far future", b"secret-draft-tag", b"secret-future-tag"):
        assert secret not in everything


def test_build_drafts_includes_them_marked(make_site, cli):
    site = make_site("tricky")
    assert cli(site, "build", "--drafts").code == 0
    page = (site / "public/2999/01/scheduled-for-the-far-future/index.html").read_text()
    assert "Scheduled" in page and 'name="robots" content="noindex"' in page
    drafts = list((site / "public").rglob("a-draft-in-progress/index.html"))
    assert drafts and "Draft" in drafts[0].read_text()


def test_markup_in_title_is_escaped(make_site, cli):
    _, public = built(make_site, cli)
    page = next(public.glob("2024/01/*/index.html")).read_text()
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "“quotes”" in page and "don’t" in page


def test_summary_rules(make_site, cli):
    _, public = built(make_site, cli)
    home = (public / "page/2/index.html").read_text() + (public / "index.html").read_text()
    assert "Titles are text, not HTML." in home  # before <!-- more -->
    assert "This part is not in the summary" not in home
    assert "A post in <strong>many</strong> scripts." in home  # explicit summary
    feed = json.loads((public / "feed.json").read_text())
    first = {i["title"]: i for i in feed["items"]}
    assert first["Imported from Hugo"]["summary"].startswith("A post with TOML front matter")


def test_base_path_prefixes_internal_links(make_site, cli):
    _, public = built(make_site, cli)
    page = (public / "about/index.html").read_text()
    assert 'href="/blog/static/style.css' in page
    assert 'href="/blog/archives/"' in page
    assert '<link rel="canonical" href="https://tricky.example.org/blog/about/">' in page


def test_code_tables_footnotes_toc(make_site, cli):
    _, public = built(make_site, cli)
    toml_post = (public / "2024/03/imported-from-hugo/index.html").read_text()
    assert 'class="highlight"' in toml_post and '<span class="k">def</span>' in toml_post
    assert 'class="toc"' in toml_post and 'id="first-heading"' in toml_post
    mixed = (public / "2024/02/mixed-scripts/index.html").read_text()
    assert "<table>" in mixed and 'class="footnote"' in mixed
    assert '<html lang="ja">' in mixed
    assert "こんにちは世界" in mixed


def test_social_cards_and_microformats(make_site, cli):
    _, public = built(make_site, cli)
    mixed = (public / "2024/02/mixed-scripts/index.html").read_text()
    assert '<meta property="og:image" content="https://tricky.example.org/blog/images/cover.png">' in mixed
    assert '<meta name="twitter:card" content="summary_large_image">' in mixed
    assert '<meta property="og:type" content="article">' in mixed
    assert 'class="h-entry post"' in mixed and 'class="p-name"' in mixed
    assert 'class="dt-published" datetime="2024-02-10T08:30:00-05:00"' in mixed  # site zone
    assert 'class="e-content"' in mixed


def test_feeds_autodiscovery_on_every_page(make_site, cli):
    _, public = built(make_site, cli)
    for page in public.rglob("*.html"):
        text = page.read_text()
        if 'http-equiv="refresh"' in text:
            continue
        for kind in ("application/rss+xml", "application/atom+xml", "application/feed+json"):
            assert f'rel="alternate" type="{kind}"' in text, page


def test_feeds_have_full_content_and_parse(make_site, cli):
    _, public = built(make_site, cli)
    for name in ("rss.xml", "atom.xml"):
        feed = feedparser.parse((public / name).read_bytes())
        assert not feed.bozo, feed.bozo_exception
        assert len(feed.entries) == 4
        titles = [e.title for e in feed.entries]
        assert titles[0] == "L’été … à Paris\u202f?"  # as on its page, in French typography
        toml_entry = next(e for e in feed.entries if e.title == "Imported from Hugo")
        assert "hello</span>" in toml_entry.content[0].value
    tag_feed = feedparser.parse((public / "tags/html/atom.xml").read_bytes())
    assert not tag_feed.bozo and len(tag_feed.entries) == 2
    data = json.loads((public / "feed.json").read_text())
    assert data["version"] == "https://jsonfeed.org/version/1.1"
    assert all(i["url"].startswith("https://tricky.example.org/blog/") for i in data["items"])


ATOM = "{http://www.w3.org/2005/Atom}"


def feed_titles(path) -> tuple[str, dict[str, str]]:
    """A feed's own title and its items' titles by link, as XML gives them (unescaped once)."""
    if path.suffix == ".json":
        data = json.loads(path.read_text())
        return data["title"], {i["url"]: i["title"] for i in data["items"]}
    root = ET.fromstring(path.read_bytes())
    if root.tag == "rss":
        channel = root.find("channel")
        items = {i.findtext("link"): i.findtext("title") for i in channel.iter("item")}
        return channel.findtext("title"), items
    items = {
        e.find(f"{ATOM}link").get("href"): e.findtext(f"{ATOM}title")
        for e in root.iter(f"{ATOM}entry")
    }
    return root.findtext(f"{ATOM}title"), items


def test_feed_titles_are_the_titles_of_the_pages(make_site, cli):
    site = make_site("tricky")
    # A site title that typography changes: "…", curly quotes.
    config = (site / "site.toml").read_text()
    (site / "site.toml").write_text(config.replace('title = "Tricky & <Co>"',
                                                   'title = "Tricky & <Co>... \\"live\\""'))
    assert cli(site, "build").code == 0
    public = site / "public"
    base = "https://tricky.example.org/blog/"
    shown = {}  # post URL -> the title its page shows, as text
    for page in public.glob("20*/**/index.html"):
        found = re.search(r'<h1 class="p-name">(.*?)\s*</h1>', page.read_text(), re.S)
        if found:
            url = base + page.parent.relative_to(public).as_posix() + "/"
            shown[url] = html.unescape(found.group(1)).strip()
    home = html.unescape(re.search(r"<title>(.*?)</title>", (public / "index.html").read_text())[1])
    assert home == "Tricky & <Co>… “live”"
    assert "L’été … à Paris\u202f?" in shown.values()
    assert "Why <script>alert(1)</script> & “quotes” don’t break me" in shown.values()
    feeds = [public / "rss.xml", public / "atom.xml", public / "feed.json",
             *public.glob("tags/*/rss.xml"), *public.glob("tags/*/atom.xml")]
    assert len(feeds) > 5
    for path in feeds:
        title, items = feed_titles(path)
        assert title.startswith(home), path
        assert items, path
        for link, item_title in items.items():
            assert item_title == shown[link], (path, link)
    # Escaped once for XML, never twice.
    rss = (public / "rss.xml").read_text()
    assert "Why &lt;script&gt;alert(1)&lt;/script&gt; &amp; “quotes” don’t break me" in rss
    assert "&amp;lt;" not in rss and "&amp;amp;" not in rss


def test_feed_links_are_absolute(make_site, cli):
    _, public = built(make_site, cli)
    rss = (public / "rss.xml").read_text()
    assert 'href="https://tricky.example.org/blog/2024/02/mixed-scripts/"' in rss


def test_alias_redirects(make_site, cli):
    _, public = built(make_site, cli)
    page = (public / "old/markup.html").read_text()
    assert 'http-equiv="refresh"' in page
    assert "https://tricky.example.org/blog/2024/01/" in page


def test_sitemap_robots_404(make_site, cli):
    _, public = built(make_site, cli)
    sitemap = (public / "sitemap.xml").read_text()
    assert "<loc>https://tricky.example.org/blog/2024/02/mixed-scripts/</loc>" in sitemap
    assert "far-future" not in sitemap
    assert "Sitemap: https://tricky.example.org/blog/sitemap.xml" in (public / "robots.txt").read_text()
    assert "Page not found" in (public / "404.html").read_text()


def test_tags_index_and_archives(make_site, cli):
    _, public = built(make_site, cli)
    tags = (public / "tags/index.html").read_text()
    assert "security" in tags and "日本語" in tags
    assert (public / "archives/2024/02/index.html").is_file()
    assert "February 2024" in (public / "archives/index.html").read_text()


def test_theme_override(make_site, cli):
    site = make_site("tricky")
    (site / "theme").mkdir()
    (site / "theme/page.html").write_text(
        '{% extends "base.html" %}{% block content %}<p id="mine">OVERRIDDEN {{ post.title }}</p>'
        "{% endblock %}"
    )
    (site / "theme/static").mkdir()
    (site / "theme/static/style.css").write_text("body { color: red; }")
    assert cli(site, "build").code == 0
    assert "OVERRIDDEN About" in (site / "public/about/index.html").read_text()
    assert (site / "public/static/style.css").read_text() == "body { color: red; }"
    # Templates not overridden still come from the built-in theme.
    assert 'class="h-entry post"' in (site / "public/2024/02/mixed-scripts/index.html").read_text()


def test_output_option(make_site, cli, tmp_path):
    site = make_site("tricky")
    out = tmp_path / "elsewhere"
    assert cli(site, "build", "--output", str(out)).code == 0
    assert (out / "index.html").is_file() and not (site / "public").exists()


def test_rebuild_is_byte_identical(make_site, cli):
    site, public = built(make_site, cli)
    first = tree(public)
    assert cli(site, "build").code == 0
    assert tree(public) == first


def test_english_dates_and_strings(make_site, cli):
    _, public = built(make_site, cli)
    page = (public / "2024/03/imported-from-hugo/index.html").read_text()
    assert "March 1, 2024" in page and "Posted on" in page


def test_french_post_in_english_site(make_site, cli):
    _, public = built(make_site, cli)
    page = (public / "2024/04/l-ete-a-paris/index.html").read_text()
    assert '<html lang="fr">' in page and "2 avril 2024" in page
    assert re.search(r"Bonjour\u202f!", page)
    assert "L’été … à Paris\u202f?" in page


def test_emoji_title_takes_its_slug_from_the_file_name(make_site, cli):
    site = make_site("tricky")
    (site / "posts/guitare.md").write_text('---\ntitle: "🎸"\ndate: 2024-01-01\n---\nx\n')
    (site / "posts/drums.md").write_text('---\ntitle: "🥁"\ndate: 2024-01-01\n---\nx\n')
    assert cli(site, "build").code == 0
    assert (site / "public/2024/01/guitare/index.html").is_file()
    assert (site / "public/2024/01/drums/index.html").is_file()


def test_an_empty_site_builds_and_checks(tmp_path, cli):
    assert cli(tmp_path, "init", "empty").code == 0
    site = tmp_path / "empty"
    for post in (site / "posts").glob("*.md"):
        post.unlink()
    assert cli(site, "build").code == 0
    assert "No posts yet." in (site / "public/index.html").read_text()
    assert cli(site, "check").code == 0
