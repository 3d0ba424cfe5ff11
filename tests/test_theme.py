"""The default theme's parts that come from site.toml and front matter: the author block and
its rel="me" profiles, covers with their sizes, the favicon, [extra], "Read more", the 404."""

from __future__ import annotations

import re
from pathlib import Path

from PIL import Image as PILImage

SITE_TOML = """\
[site]
title = "Carnet"
url = "https://example.org/blog/"
language = "fr"
timezone = "Europe/Paris"
author = "Zoé"

[author]
bio = "J'écris : des notes !"
avatar = "/images/zoe.png"
links = ["https://github.com/zoe"]

[social.mastodon]
instance = "https://piaille.fr"
account = "@zoe"

[social.bluesky]
handle = "zoe.bsky.social"

[social.x]
handle = "zoe_x"

[extra]
banner = "Bienvenue"
colours = { accent = "#123456" }
"""

POSTS = {
    "local.md": "image: /images/cover.png\n---\nUn seul paragraphe.\n",
    "remote.md": "image: https://cdn.example.com/c.jpg\n---\nPremier.\n\nDeuxième.\n",
    "missing.md": "image: /images/none.png\n---\nAvant.\n\n<!-- more -->\n\nAprès.\n",
    "teaser.md": 'summary: "Un résumé."\n---\nLe corps.\n',
    "marker.md": "---\nTout est là.\n\n<!-- more -->\n",
}


def make_theme_site(root: Path) -> Path:
    (root / "posts").mkdir(parents=True)
    (root / "static" / "images").mkdir(parents=True)
    (root / "site.toml").write_text(SITE_TOML)
    for day, (name, rest) in enumerate(sorted(POSTS.items()), start=1):
        head = f"---\ntitle: {name[:-3]}\ndate: 2024-01-0{day}\n"
        (root / "posts" / name).write_text(head + rest)
    PILImage.new("RGB", (800, 450)).save(root / "static/images/cover.png")
    PILImage.new("RGB", (96, 96)).save(root / "static/images/zoe.png")
    return root


def page(site: Path, name: str) -> str:
    return (site / "public" / name / "index.html").read_text()


def test_rel_me_profiles_and_the_author_block(tmp_path, cli):
    site = make_theme_site(tmp_path / "site")
    assert cli(site, "build").code == 0, "build failed"
    expected = [  # in the networks' order (as "Also on"), then [author] links
        "https://x.com/zoe_x",
        "https://piaille.fr/@zoe",
        "https://bsky.app/profile/zoe.bsky.social",
        "https://github.com/zoe",
    ]
    home = page(site, "")
    post = page(site, "2024/01/local")
    for html in (home, post, (site / "public/404.html").read_text()):
        assert re.findall(r'<link rel="me" href="([^"]+)">', html) == expected
    card = re.search(r'<section class="author-card h-card".*?</section>', home, re.S)
    assert card is not None
    assert re.findall(r'<a rel="me" href="([^"]+)">', card.group(0)) == expected
    assert 'src="/blog/images/zoe.png" alt="" width="96" height="96"' in card.group(0)
    assert "J’écris\u00a0: des notes\u202f!" in card.group(0)  # French typography
    assert "author-card" in post


def test_covers_have_their_size_and_missing_ones_are_not_shown(tmp_path, cli):
    site = make_theme_site(tmp_path / "site")
    assert cli(site, "build").code == 0
    post = page(site, "2024/01/local")
    assert '<img class="u-photo" src="/blog/images/cover.png" alt="" width="800" height="450"' in post
    assert '<meta property="og:image:width" content="800">' in post
    home = page(site, "")
    assert 'src="/blog/images/cover.png" alt="" width="800" height="450"' in home
    # A remote picture is never downloaded: no size, a frame of fixed proportions instead.
    remote = page(site, "2024/01/remote")
    assert '<img class="u-photo framed" src="https://cdn.example.com/c.jpg" alt="" decoding' in remote
    assert "og:image:width" not in remote
    missing = page(site, "2024/01/missing")
    assert "none.png" not in missing.split("</header>", 2)[2]  # only in the meta tags
    assert 'content="https://example.org/blog/images/none.png"' in missing


def test_read_more_only_when_there_is_more(tmp_path, cli):
    site = make_theme_site(tmp_path / "site")
    (site / "site.toml").write_text(SITE_TOML.replace('author = "Zoé"', 'author = "Zoé"\npaginate = 9'))
    assert cli(site, "build").code == 0
    home = page(site, "")
    articles = {
        m.group(1): m.group(0)
        for m in re.finditer(r'<a class="u-url" href="/blog/2024/01/([a-z]+)/">.*?</article>', home, re.S)
    }
    more = {name for name, html in articles.items() if "Lire la suite" in html}
    assert sorted(articles) == ["local", "marker", "missing", "remote", "teaser"]
    assert more == {"missing", "remote", "teaser"}


def test_the_404_page_offers_the_latest_posts(tmp_path, cli):
    site = make_theme_site(tmp_path / "site")
    assert cli(site, "build").code == 0
    html = (site / "public/404.html").read_text()
    listed = re.findall(r'<a href="/blog/2024/01/([a-z]+)/">', html)
    assert listed == ["teaser", "remote", "missing", "marker", "local"]
    assert 'href="/blog/archives/"' in html


def test_favicon_at_the_root_and_overridable(tmp_path, cli):
    site = make_theme_site(tmp_path / "site")
    assert cli(site, "build").code == 0
    public = site / "public"
    assert public.joinpath("favicon.ico").read_bytes()[:4] == b"\0\0\1\0"
    html = page(site, "")
    assert '<link rel="icon" href="/blog/favicon.ico" sizes="32x32">' in html
    assert re.search(r'<link rel="icon" href="/blog/static/favicon.svg\?v=\w+" type="image/svg\+xml">', html)
    assert (public / "static/apple-touch-icon.png").is_file()
    # The site's own icons win: static/favicon.ico at the root, theme/static/ for the others.
    (site / "static/favicon.ico").write_bytes(b"\0\0\1\0mine")
    (site / "theme/static").mkdir(parents=True)
    (site / "theme/static/favicon.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    assert cli(site, "build").code == 0
    assert public.joinpath("favicon.ico").read_bytes() == b"\0\0\1\0mine"
    assert public.joinpath("static/favicon.svg").read_text().startswith("<svg xmlns='")


def test_extra_reaches_templates_untouched(tmp_path, cli):
    site = make_theme_site(tmp_path / "site")
    (site / "theme").mkdir()
    (site / "theme/404.html").write_text(
        "{% extends 'base.html' %}{% block content %}"
        "<p id='x'>{{ extra.banner }} {{ extra.colours.accent }}</p>{% endblock %}"
    )
    assert cli(site, "build").code == 0
    assert "<p id='x'>Bienvenue #123456</p>" in (site / "public/404.html").read_text()
    (site / "site.toml").write_text(SITE_TOML.replace('"#123456"', '"#654321"'))
    assert cli(site, "build").code == 0
    assert "<p id='x'>Bienvenue #654321</p>" in (site / "public/404.html").read_text()


def test_author_and_profile_keys_are_checked(tmp_path, cli):
    site = make_theme_site(tmp_path / "site")
    text = SITE_TOML.replace("bio = ", "boi = ").replace('account = "@zoe"', 'account = "zoe@piaille.fr"')
    text = text.replace('links = ["https://github.com/zoe"]', 'links = ["github.com/zoe"]')
    (site / "site.toml").write_text(text + "\n[extar]\nx = 1\n")
    result = cli(site, "build")
    assert result.code == 1
    assert "site.toml:9: unknown key `boi` in [author]" in result.err
    assert "did you mean `bio`?" in result.err
    assert "[author] links: 'github.com/zoe' is not an http(s) URL" in result.err
    assert "[social.mastodon] account 'zoe@piaille.fr' is not an account name" in result.err
    assert "unknown table [extar]" in result.err and "did you mean `extra`?" in result.err
    assert "Traceback" not in result.err


def test_the_new_site_template_shows_the_theme_settings_ready_to_uncomment(tmp_path, cli):
    assert cli(tmp_path, "init", "blog").code == 0
    site = tmp_path / "blog"
    toml = site / "site.toml"
    text = toml.read_text()
    assert "# [author]" in text and '# account = "me"' in text and "# [extra]" in text
    # Uncommented as a user would, they make the author block and its rel="me" links.
    lines = [
        line[2:] if line.startswith(("# [author]", "# bio", "# links", "# [social.mastodon]",
                                     "# instance", "# account")) else line
        for line in text.splitlines()
    ]
    toml.write_text("\n".join(lines) + "\n")
    assert cli(site, "build").code == 0
    home = (site / "public/index.html").read_text()
    assert '<link rel="me" href="https://mastodon.social/@me">' in home
    assert '<a rel="me" href="https://github.com/me">github.com</a>' in home
    assert "A sentence about me." in home
