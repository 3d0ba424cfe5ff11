"""`blogsite import`: Blogger (classic and Takeout) and WordPress (WXR) exports, written for
these tests with the quirks of real ones; images served by a local HTTP server."""

from __future__ import annotations

import html
import http.server
import re
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import feedparser
import pytest
import yaml

from blogsite.build import build_site
from blogsite.config import load_config
from tests.conftest import tree
from tests.test_publish import fast_build, world  # noqa: F401 - fixtures
from tests.validators import validate_html

EXPORTS = Path(__file__).parent / "exports"
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000100e221bc330000000049454e44ae426082"
)


class _Images(http.server.BaseHTTPRequestHandler):
    seen: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 - the http.server API
        self.seen.append(self.path)
        if "Gone" in self.path:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", "image/png" if self.path.endswith(".png") else "image/jpeg")
        self.send_header("Content-Length", str(len(PNG)))
        self.end_headers()
        self.wfile.write(PNG)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def images() -> Iterator[tuple[str, list[str]]]:
    seen: list[str] = []
    handler = type("Images", (_Images,), {"seen": seen})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"127.0.0.1:{server.server_address[1]}", seen
    server.shutdown()
    server.server_close()


@pytest.fixture
def site(tmp_path, cli) -> Path:
    assert cli(tmp_path, "init", "blog").code == 0
    root = tmp_path / "blog"
    toml = root / "site.toml"
    text = toml.read_text().replace('language = "en"', 'language = "fr"')
    toml.write_text(text.replace('timezone = "UTC"', 'timezone = "Europe/Paris"'))
    for first in (root / "posts").glob("*.md"):
        first.unlink()
    return root


def export(tmp_path: Path, name: str, host: str = "127.0.0.1:9") -> Path:
    target = tmp_path / name
    target.write_text((EXPORTS / name).read_text("utf-8").replace("IMAGEHOST", host), "utf-8")
    return target


def front(path: Path) -> dict:
    data = yaml.safe_load(path.read_text("utf-8").split("---\n")[1])
    return {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in data.items()}


def test_blogger_classic_export(site, tmp_path, cli, images):
    host, seen = images
    result = cli(site, "import", str(export(tmp_path, "blogger-classic.xml", host)))
    assert result.code == 0, result.err
    assert "Blogger (classic backup)" in result.out
    assert "posts: 3, pages: 1, drafts: 1" in result.out
    assert "4 shown, 0 unapproved" in result.out and "1 × comment: deleted" in result.out
    assert "untitled (give it a title): posts/post-1002.md" in result.out
    post = front(site / "posts/influence-reputation-et.md")
    assert post["title"] == "Influence, réputation & légitimité ... le succès"
    assert post["date"] == "2010-03-08T21:14:00+01:00" and post["updated"] == "2010-03-09T08:00:00+01:00"
    assert post["tags"] == ["Réseaux sociaux", "Twitter"]
    assert post["aliases"] == ["/2010/03/influence-reputation-et.html"]
    assert post["summary"] == "Tweeter or not Tweeter : comment j'utilise Twitter."
    body = (site / "posts/influence-reputation-et.md").read_text()
    assert "<!-- more -->" in body and "<figure>" in body and "<figcaption>La scène du Gibus" in body
    assert "<br" not in body and "<div" not in body and "<script" not in body and "alert" not in body
    assert "<https://www.youtube.com/embed/dQw4w9WgXcQ>" in body
    # Full-size images (s1600), downloaded; the thumbnails are never fetched.
    assert sorted(p for p in seen if "Gone" not in p) == [
        "/img/b/R29vZ2xl/AVvX/s1600/concert-gibus.jpg", "/img/b/R29vZ2xl/BwXy/s1600/scene.png"]
    assert len(list((site / "static/images").iterdir())) == 2
    assert "](/images/" in body and 'src="/images/' in body
    assert "1 kept remote" in result.out and "affiche.jpg" in result.out
    draft = front(site / "posts/post-1002.md")
    assert draft["draft"] is True and draft["title"] == "Sans titre" and "aliases" not in draft
    assert front(site / "pages/a-propos.md")["aliases"] == ["/p/a-propos.html"]
    comments = site / "comments/influence-reputation-et"
    assert sorted(p.name for p in comments.iterdir()) == [
        "7324550912.md", "7324550913.md", "7324550914.md", "7324550916.md"]
    first = front(comments / "7324550912.md")
    assert first["author"] == "Jean-Pierre Lefèvre" and first["source"] == "blogger"
    assert front(comments / "7324550914.md")["parent"] == "7324550913"
    assert "parent" not in front(comments / "7324550916.md")  # its parent was deleted
    assert front(comments / "7324550913.md")["own"] is True
    assert "javascript" not in (comments / "7324550913.md").read_text()
    assert "noreply@blogger.com" not in "".join(p.read_text() for p in comments.iterdir())


def test_blogger_takeout_export(site, tmp_path, cli, images):
    host, _ = images
    result = cli(site, "import", str(export(tmp_path, "blogger-takeout.atom", host)))
    assert result.code == 0, result.err
    assert "Blogger (Google Takeout)" in result.out and "1 × post: trash" in result.out
    post = front(site / "posts/ete-2019-la-bretagne-velo.md")
    assert post["date"] == "2019-09-01T10:00:00+02:00" and post["tags"] == ["Vélo", "Bretagne"]
    assert post["aliases"] == ["/2019/09/ete-2019-la-bretagne-velo.html"]
    assert front(site / "posts/idees-pour-l-hiver.md")["draft"] is True
    assert not list(site.glob("posts/supprime*"))
    assert front(site / "comments/ete-2019-la-bretagne-velo/9002.md")["parent"] == "9001"
    assert not (site / "comments/ete-2019-la-bretagne-velo/9003.md").exists()


def test_wordpress_export(site, tmp_path, cli, images):
    host, _ = images
    result = cli(site, "import", str(export(tmp_path, "wordpress.xml", host)))
    assert result.code == 0, result.err
    out = result.out
    assert "WordPress (WXR 1.2)" in out and "posts: 8, pages: 1, drafts: 5" in out
    for said in ("posts/en-relecture.md (pending review -> draft)", "posts/prive.md (private -> draft)",
                 "posts/programme.md (scheduled -> draft)",
                 "posts/recette-secrete.md (password-protected -> draft)", "1 × comment: spam",
                 "1 × comment: trash", "1 × post: trash", "[contact-form-7] (1×)",
                 "4 shown, 1 unapproved", "1 pingbacks"):
        assert said in out
    post = front(site / "posts/tarte-aux-pommes.md")
    assert post["aliases"] == ["/2023/05/14/tarte-aux-pommes/", "/2023/05/14/tarte-grand-mere/"]
    assert post["tags"] == ["Recettes", "Desserts", "Pommes"]
    assert post["date"] == "2023-05-14T10:30:00+02:00"
    assert post["title"] == "La tarte aux pommes de ma grand-mère"
    body = (site / "posts/tarte-aux-pommes.md").read_text()
    assert "wp:paragraph" not in body and "[caption" not in body and "[gallery" not in body
    assert '<figure><img alt="La tarte"' in body and "La tarte, sortie du four" in body
    assert body.count("](/images/") == 2  # the gallery's two images
    assert "<https://www.youtube.com/watch?v=abc123>" in body and "<https://vimeo.com/123456>" in body
    assert '[contact-form-7 id="42" title="Contact"]' in body
    assert "Pour 6 personnes :  \n4 pommes" in body
    russian = front(site / "posts/привет-мир.md")
    assert russian["slug"] == "привет-мир" and russian["aliases"] == ["/2023/06/02/привет-мир/"]
    assert front(site / "posts/etc-passwd.md")["slug"] == "etc-passwd"
    assert front(site / "posts/post-12.md")["title"] == "Sans titre"
    comments = site / "comments/tarte-aux-pommes"
    assert sorted(p.stem for p in comments.iterdir()) == ["100", "101", "102", "105", "106", "107"]
    assert front(comments / "102.md")["approved"] is False
    assert front(comments / "105.md")["kind"] == "pingback"
    assert front(comments / "101.md")["parent"] == "100" and front(comments / "101.md")["own"] is True
    assert "parent" not in front(comments / "106.md") and "parent" not in front(comments / "107.md")
    assert front(comments / "100.md")["anchors"] == ["comment-100"]
    every = "".join(p.read_text() for p in comments.iterdir())
    assert "192.0.2" not in every and "@example" not in every and "<script" not in every


@pytest.mark.parametrize("version", ["1.0", "1.1"])
def test_older_wxr_versions_read_alike(site, tmp_path, cli, version):
    text = (EXPORTS / "wordpress.xml").read_text("utf-8").replace("https://wordpress.org/export/1.2/",
                                                                   f"http://wordpress.org/export/{version}/")
    path = tmp_path / f"wxr-{version}.xml"
    path.write_text(text.replace("<wp:wxr_version>1.2<", f"<wp:wxr_version>{version}<"), "utf-8")
    result = cli(site, "import", "--no-images", str(path))
    assert result.code == 0, result.err
    assert f"WXR {version}" in result.out and "posts: 8, pages: 1, drafts: 5" in result.out


def test_a_second_import_changes_nothing_and_edits_are_kept(site, tmp_path, cli, images):
    host, seen = images
    path = export(tmp_path, "wordpress.xml", host)
    assert cli(site, "import", str(path)).code == 0
    before = tree(site)
    fetched = len(seen)
    again = cli(site, "import", str(path))
    assert again.code == 0 and "0 written" in again.out
    assert tree(site) == before and len(seen) == fetched
    edited = site / "posts/tarte-aux-pommes.md"
    edited.write_text(edited.read_text() + "\nMon ajout.\n")
    comment = site / "comments/tarte-aux-pommes/100.md"
    comment.write_text(comment.read_text().replace("approved: true", "approved: false"))
    third = cli(site, "import", "--no-images", str(path))
    assert "Mon ajout." in edited.read_text() and "approved: false" in comment.read_text()
    assert "skipped (edited since imported; --force overwrites): posts/tarte-aux-pommes.md" in third.out
    assert "comments/tarte-aux-pommes/100.md" in third.out
    forced = cli(site, "import", "--force", str(path))
    assert forced.code == 0 and "Mon ajout." not in edited.read_text()
    assert "approved: true" in comment.read_text()


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<rss><channel><wp:wxr_version>1.2</wp:wxr_version><item><title>&lol9;</title></item></channel></rss>
"""


@pytest.mark.parametrize(
    ("content", "line", "words"),
    [
        ("", 1, "the file is empty"),
        ((EXPORTS / "wordpress.xml").read_text("utf-8")[:3000], 57, "ends too early"),
        ("<html><body><p>Mon blog</p></body></html>", 1, "not a Blogger or WordPress export"),
        ('<?xml version="1.0"?>\n<rss version="2.0"><channel><title>x</title></channel></rss>', 2,
         "not a Blogger or WordPress export"),
        ("Bonjour, ceci est du texte.", 1, "not well-formed XML"),
        (BILLION_LAUGHS, 3, "declares the XML entity"),
    ],
)
def test_a_file_that_is_not_an_export_is_refused_and_nothing_is_written(site, tmp_path, cli, content,
                                                                          line, words):
    path = tmp_path / "export.xml"
    path.write_text(content, "utf-8")
    before = tree(site)
    result = cli(site, "import", str(path))
    assert result.code == 1
    assert f"export.xml:{line}: " in result.err and words in result.err
    assert "Traceback" not in result.err and "hint:" in result.err
    assert tree(site) == before


def _words(text: str) -> list[str]:
    """Words as a reader sees them, whatever the typography did to the punctuation."""
    text = html.unescape(re.sub(r"<[^>]+>", " ", text))
    text = text.replace("\u2019", "'").replace("\u202f", " ").replace("\u00a0", " ").replace("…", "...")
    text = re.sub(r"[«»“”\"]", " ", text)
    return re.findall(r"[\w'&.,:;!?()/-]+", text)


def _entry_text(page: str) -> str:
    return page[page.index('<div class="e-content">'):page.index("<footer>")]


def test_imported_posts_build_clean_with_every_old_address_and_every_word(site, tmp_path, cli, images):
    host, _ = images
    for name in ("blogger-classic.xml", "wordpress.xml"):
        assert cli(site, "import", str(export(tmp_path, name, host))).code == 0
    result = build_site(load_config(site))
    public = result.output
    check = cli(site, "check")
    assert check.code == 0, check.err
    pages = [public / p.url.lstrip("/") / "index.html" for p in result.site.posts]
    aliases = [(a, p.url) for p in result.site.posts for a in p.aliases]
    assert len(aliases) == 6
    for alias, target in aliases:
        redirect = public / (alias.lstrip("/") + ("index.html" if alias.endswith("/") else ""))
        text = redirect.read_text()
        assert f"url={target}" in text
        assert "location.hash" in text
    redirects = (public / "_redirects").read_text()
    for alias, target in aliases:
        assert f"{quote(alias)} {quote(target)} 301" in redirects
    assert "/feeds/posts/default /atom.xml 301" in redirects and "/feed/ /rss.xml 301" in redirects
    errors = validate_html(pages + [public / "2010/03/influence-reputation-et.html"])
    assert errors == [], errors
    for feed in ("rss.xml", "atom.xml"):
        parsed = feedparser.parse((public / feed).read_bytes())
        assert not parsed.bozo and len(parsed.entries) == 5
    blogger = (public / "2010/03/influence-reputation-et/index.html").read_text()
    assert blogger.count("4 commentaires") == 2 and 'id="c7324550916"' in blogger
    wordpress = (public / "2023/05/tarte-aux-pommes/index.html").read_text()
    assert "4 commentaires" in wordpress and 'id="comment-100"' in wordpress
    assert "En attente de modération" not in wordpress and "jean.example.org" in wordpress
    original = (EXPORTS / "wordpress.xml").read_text("utf-8")
    source = html.unescape(original.split("<content:encoded><![CDATA[")[1].split("]]>")[0])
    source = re.sub(r"<!--.*?-->|\[/?(?:caption|gallery|embed)[^\]]*\]", " ", source)
    assert _words(_entry_text(wordpress)) == _words(source)
    # Blogger's: the same words (a player became a link to what it played: its address is new).
    original = (EXPORTS / "blogger-classic.xml").read_text("utf-8")
    source = html.unescape(original.split("<content type='html'>")[2].split("</content>")[0])
    source = re.sub(r"<script>.*?</script>", " ", source)
    shown = [w for w in _words(_entry_text(blogger)) if not w.startswith("http")]
    assert shown == _words(source)


@pytest.mark.skipif(shutil.which("chromium") is None, reason="no Chromium on this machine")
def test_an_old_comment_link_lands_on_the_comment_in_a_browser(site, tmp_path, cli):
    from playwright.sync_api import sync_playwright

    from tests.test_browser import ARGS, CHROMIUM

    assert cli(site, "import", "--no-images", str(export(tmp_path, "blogger-classic.xml"))).code == 0
    public = build_site(load_config(site)).output
    handler = type("Static", (http.server.SimpleHTTPRequestHandler,),
                   {"log_message": lambda *a: None,
                    "__init__": lambda self, *a, **k: http.server.SimpleHTTPRequestHandler.__init__(
                        self, *a, directory=str(public), **k)})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = browser.new_page()
            page.goto(base + "/2010/03/influence-reputation-et.html?showComment=1268730720000#c7324550912")
            page.wait_for_url("**/2010/03/influence-reputation-et/#c7324550912")
            assert page.locator("#c7324550912").is_visible()
            browser.close()
    finally:
        server.shutdown()
        server.server_close()


def test_publish_never_announces_imported_posts(world, fast_build, tmp_path):  # noqa: F811 - fixtures
    """Even an imported post dated yesterday is old news: recorded as skipped at import, left
    alone by publish, while the site's own new post goes out."""
    from datetime import UTC, datetime, timedelta

    from blogsite.importers.exports import run_import
    from blogsite.publish.ledger import load_ledger

    yesterday = datetime.now(UTC) - timedelta(days=1)
    text = (EXPORTS / "wordpress.xml").read_text("utf-8")
    text = text.replace("2023-05-14 10:30:00", f"{yesterday:%Y-%m-%d %H:%M:%S}")
    text = text.replace("2023-05-14 08:30:00", f"{yesterday:%Y-%m-%d %H:%M:%S}")
    path = tmp_path / "recent.xml"
    path.write_text(text, "utf-8")
    report = run_import(load_config(world.root), path, images=False)
    assert report.recorded == 9  # three public posts, three networks
    world.publish()
    for network in ("x", "mastodon", "bluesky"):
        texts = world.texts(network)
        assert texts and not any("tarte-aux-pommes" in t or "etc-passwd" in t for t in texts), network
        assert world.state("tarte-aux-pommes", network) == "skipped"
    entry = next(e for e in load_ledger(world.root).entries if "tarte-aux-pommes" in e.url)
    assert "imported from" in entry.networks["mastodon"].reason
    again = run_import(load_config(world.root), path, images=False)
    assert again.recorded == 0 and again.written == 0
