"""`blogsite import DIR` end to end on Jekyll, Hugo, Pelican and Zola fixture sites: import,
build, every old URL leads to its post, no template syntax left, valid HTML, a clean check."""

from __future__ import annotations

import contextlib
import io
import os
import re
import shutil
from pathlib import Path

import pytest

from blogsite.cli import main
from blogsite.rawsyntax import raw_template_in
from tests.conftest import SITES
from tests.validators import validate_html

GENERATORS = ("jekyll", "jekyll-pretty", "hugo", "pelican", "zola")

# Old URL -> the new URL of the post it must lead to.
OLD_URLS = {
    "jekyll": {
        "/2015/03/08/premier-billet/": "/2015/03/premier-billet/",
        "/ancien/premier.html": "/2015/03/premier-billet/",
        "/2015/premier/": "/2015/03/premier-billet/",
        "/2015/03/08/": "/2015/03/deuxieme-billet/",
        "/2015/03/15/deuxieme-billet/": "/2015/03/deuxieme-billet/",
        "/2016/01/10/crossing-the-alps/": "/2016/01/crossing-the-alps/",
        "/2016/02/11/what-we-packed/": "/2016/02/what-we-packed/",
        "/a-propos/": "/a-propos/",
    },
    "jekyll-pretty": {
        "/2014/07/04/hello-world/": "/2014/07/hello-world/",
        "/notes/misc/2014/08/01/a-note/": "/2014/08/a-note/",
        "/notes/2014/07/20/hello-world/": "/2014/07/hello-world-2/",
        "/colophon/": "/colophon/",
    },
    "hugo": {
        "/2014/05/mon-premier-billet/": "/2014/05/premier/",
        "/old/premier.html": "/2014/05/premier/",
        "/2014/05/02/mon-premier-billet/": "/2014/05/premier/",
        "/2014/06/le-deuxieme/": "/2014/06/le-deuxieme/",
        "/archives/une-adresse-a-part/": "/2015/01/custom/",
        "/2015/07/road-trip/": "/2015/07/road-trip/",
        "/2015/09/notes-from-the-studio/": "/2015/09/english-notes/",
        "/about/": "/about/",
    },
    "pelican": {
        "/2015/04/mon-billet-enfin.html": "/2015/04/mon-billet-enfin/",
        "/2015/05/l-autre-billet.html": "/2015/05/l-autre-billet/",
        "/2015/06/troisieme-le-retour.html": "/2015/06/troisieme-le-retour/",
        "/pages/a-propos.html": "/a-propos/",
    },
    "zola": {
        "/blog/premier/": "/2019/06/premier/",
        "/blog/voyage-en-train/": "/2019/07/voyage-en-train/",
        "/voyage/": "/2019/07/voyage-en-train/",
        "/qui-suis-je/": "/a-propos/",
    },
}


def run(cwd: Path, *args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    old = Path.cwd()
    os.chdir(cwd)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(list(args))
    finally:
        os.chdir(old)
    return code, out.getvalue(), err.getvalue()


def french_site(folder: Path) -> Path:
    assert run(folder.parent, "init", folder.name)[0] == 0
    for item in [*(folder / "posts").glob("*.md"), *(folder / "pages").glob("*.md")]:
        item.unlink()
    toml = folder / "site.toml"
    text = re.sub(r'(?m)^language = .*$', 'language = "fr"', toml.read_text())
    toml.write_text(re.sub(r'(?m)^timezone = .*$', 'timezone = "Europe/Paris"', text))
    return folder


@pytest.fixture(scope="module")
def imported(tmp_path_factory) -> dict[str, tuple[Path, str]]:
    """Each fixture site imported into a new French blogsite site and built: name -> (site, report)."""
    base = tmp_path_factory.mktemp("ssg")
    done = {}
    for name in GENERATORS:
        source = base / f"source-{name}"
        shutil.copytree(SITES / f"ssg-{name}", source)
        site = french_site(base / name)
        code, out, err = run(site, "import", str(source))
        assert code == 0, err
        code, _, err = run(site, "build")
        assert code == 0, err
        done[name] = (site, out)
    return done


@pytest.mark.parametrize("name", GENERATORS)
def test_every_old_url_leads_to_its_post(imported, name):
    site, _ = imported[name]
    public = site / "public"
    for old, new in OLD_URLS[name].items():
        file = public / (old.lstrip("/") + ("index.html" if old.endswith("/") else ""))
        assert file.is_file(), f"{old} was not kept"
        page = file.read_text()
        if old != new:
            assert f'url={new}"' in page and "location.hash" in page, (old, page)
        assert (public / new.lstrip("/") / "index.html").is_file(), new


@pytest.mark.parametrize("name", GENERATORS)
def test_check_is_clean_and_no_template_syntax_reaches_a_page(imported, name):
    site, _ = imported[name]
    code, out, err = run(site, "check")
    assert code == 0, err
    assert "warning" not in err, err
    for page in (site / "public").rglob("*.html"):
        assert raw_template_in(page.read_text()) == [], page


def test_every_imported_page_passes_the_nu_html_checker(imported):
    pages = [p for site, _ in imported.values() for p in sorted((site / "public").rglob("*.html"))]
    errors = validate_html(pages)
    assert errors == [], "\n".join(f"{e.get('url')}:{e.get('lastLine')}: {e['message']}" for e in errors)


def test_english_posts_are_marked_english_on_a_french_site(imported):
    jekyll, report = imported["jekyll"]
    hugo, hugo_report = imported["hugo"]
    for page in (
        jekyll / "public/2016/01/crossing-the-alps/index.html",  # detected from its text
        jekyll / "public/2016/02/what-we-packed/index.html",  # lang: en in its front matter
        hugo / "public/2015/09/english-notes/index.html",
    ):
        assert '<html lang="en">' in page.read_text(), page
    french = (jekyll / "public/2015/03/premier-billet/index.html").read_text()
    assert '<html lang="fr">' in french and "«" not in french.split("<body", 1)[0]
    assert "_posts/2016-01-10-crossing-the-alps.md: en" in report
    assert "posts/english-notes.md: en" in hugo_report


def test_jekyll_posts_keep_their_content(imported):
    site, report = imported["jekyll"]
    text = (site / "posts/premier-billet.md").read_text()
    assert text.startswith("---\ntitle: 'Premier billet : le départ'\ndate: '2015-03-08T00:00:00+01:00'")
    assert "summary: Où tout commence, au pied du col." in text
    assert "- vélo\n- montagne\n- Voyage\n- Carnets\n" in text
    assert "[TOC]" in text and "{:" not in text
    assert "<aside class=\"note\"><p>Ce billet est une archive.</p></aside>" in text
    assert "[le deuxième billet](/2015/03/deuxieme-billet/)" in text
    assert "```ruby\nputs \"{{ pas du liquid }}\"\n```" in text
    assert "![Le chat du gîte](/assets/img/chat.png)" in text
    assert (site / "static/assets/img/chat.png").is_file()
    page = (site / "public/2015/03/premier-billet/index.html").read_text()
    assert 'id="toc"' in page or 'class="toc"' in page
    second = (site / "posts/deuxieme-billet.md").read_text()
    assert "updated: '2015-04-01T00:00:00+02:00'" in second
    assert '`{%- assign couleur = "rouge" -%}`' in second
    assert "deuxieme-billet.md: {% include related.html %}" in report
    assert "draft: true" in (site / "posts/hidden.md").read_text()
    assert "draft: true" in (site / "posts/idee.md").read_text()
    assert not (site / "pages/index.md").exists() and not (site / "pages/README.md").exists()
    assert "index.md: the home page, not imported" in report
    assert "old URL /tags/voyage/ is one of blogsite's own pages, not kept" in report


def test_two_posts_of_a_month_with_one_slug_both_come_over(imported):
    site, report = imported["jekyll-pretty"]
    assert "slug 'hello-world' was another post's URL too: 'hello-world-2'" in report
    assert "title: Hello again" in (site / "posts/hello-world-2.md").read_text()


def test_hugo_shortcodes_keys_and_zero_time(imported):
    site, report = imported["hugo"]
    first = (site / "posts/premier.md").read_text()
    assert "title: Mon premier billet\ndate: '2014-05-02T08:09:26+02:00'" in first
    assert "- musique\n- guitare\n- Vie\n" in first
    assert "summary: Une guitare, un ampli, et des voisins patients." in first
    assert first.split("---\n", 2)[2].startswith("<figure><img src=\"/images/cat.png\" alt=\"Le chat\">")
    assert "[le deuxième billet](/2014/06/le-deuxieme/)" in first
    home = (site / "public/index.html").read_text()
    assert "{{" not in home and "figure" not in home.split("<main", 1)[-1].split("</main>")[0]
    second = (site / "posts/le-deuxieme.md").read_text()
    assert '```python\nprint("{{< pas un shortcode >}}")\n```' in second
    assert "[Gist camille/1234abcd](https://gist.github.com/camille/1234abcd)" in second
    assert "`{{% notice info %}}`" in second and "Écrire `{{< youtube ID >}}`" in second
    assert "posts/second.md: {{% notice info %}}" in report
    assert "posts/custom.md: `date` is Go's zero time" in report
    assert "date: '2015-01-20T10:00:00+01:00'" in (site / "posts/custom.md").read_text()
    assert "![La carte](/posts/road-trip/map.png)" in (site / "posts/road-trip.md").read_text()
    assert (site / "static/posts/road-trip/map.png").is_file()
    assert "_index.md: a section's list page" in report


def test_pelican_headers_links_and_file_name_dates(imported):
    site, _ = imported["pelican"]
    first = (site / "posts/mon-billet-enfin.md").read_text()
    assert "date: '2015-04-01T00:00:00+02:00'" in first
    assert "![La scène](/images/pic.png)" in first
    assert "[l'autre billet](/2015/05/l-autre-billet/)" in first
    assert "[sur la musique](/tags/musique/)" in first
    assert (site / "static/images/pic.png").is_file()
    other = (site / "posts/l-autre-billet.md").read_text()
    assert "title: 'Tweeter: or not? « la question »'" in other
    assert "- twitter\n- réseaux\n" in other and "[le premier](/2015/04/mon-billet-enfin/)" in other
    third = (site / "posts/troisieme-le-retour.md").read_text()
    assert "title: 'Troisième : le retour'" in third and "# Troisième" not in third


def test_zola_taxonomies_and_internal_links(imported):
    site, report = imported["zola"]
    first = (site / "posts/premier.md").read_text()
    assert "- zola\n- migration\n- Technique\n" in first
    assert "[la suite](/2019/07/voyage-en-train/#depart)" in first
    assert "youtube-nocookie.com/embed/dQw4w9WgXcQ" in first
    train = (site / "posts/voyage-en-train.md").read_text()
    assert "![Le quai](/blog/voyage-en-train/quai.png)" in train
    assert '`{% note(kind="info") %}`' in train
    assert 'blog/voyage-en-train/index.md: {% note(kind="info") %}' in report


def test_a_second_import_changes_nothing_and_keeps_edited_posts(imported, tmp_path):
    source = tmp_path / "hugo-source"
    shutil.copytree(SITES / "ssg-hugo", source)
    site = french_site(tmp_path / "site")
    assert run(site, "import", str(source))[0] == 0
    code, out, _ = run(site, "import", str(source))
    assert code == 0 and "0 files written, 6 unchanged" in out
    edited = site / "posts/premier.md"
    edited.write_text(edited.read_text().replace("Mon premier billet", "Mon tout premier billet"))
    code, out, _ = run(site, "import", str(source))
    assert code == 0 and "posts/premier.md" in out.split("Kept as they were")[1]
    assert "Mon tout premier billet" in edited.read_text()
    code, out, _ = run(site, "import", str(source), "--force")
    assert code == 0 and "Mon tout premier billet" not in edited.read_text()
    # A post changed at the source, and not edited here since, is brought up to date.
    changed = source / "content/posts/second.md"
    changed.write_text(changed.read_text().replace("Quelques accords", "Quelques accords mineurs"))
    code, out, _ = run(site, "import", str(source))
    assert code == 0 and "1 files written, 5 unchanged, 0 kept" in out
    assert "Quelques accords mineurs" in (site / "posts/le-deuxieme.md").read_text()


def test_no_images_leaves_links_and_copies_nothing(tmp_path):
    source = tmp_path / "hugo-source"
    shutil.copytree(SITES / "ssg-hugo", source)
    site = french_site(tmp_path / "site")
    assert run(site, "import", str(source), "--no-images")[0] == 0
    assert not (site / "static/posts").exists()
    assert "![La carte](map.png)" in (site / "posts/road-trip.md").read_text()


def test_bad_input_names_the_file_and_changes_nothing(tmp_path):
    site = french_site(tmp_path / "site")
    code, _, err = run(site, "import", str(tmp_path / "nowhere"))
    assert code == 1 and "nowhere" in err and "does not exist" in err
    plain = tmp_path / "plain"
    plain.mkdir()
    code, _, err = run(site, "import", str(plain))
    assert code == 1 and "not a Jekyll, Hugo, Pelican or Zola site" in err and "Traceback" not in err
    source = tmp_path / "hugo-source"
    shutil.copytree(SITES / "ssg-hugo", source)
    (source / "content/posts/broken.md").write_text("---\ntitle: [unclosed\n---\nx\n")
    (source / "content/posts/broken2.md").write_text("+++\ntitle = unquoted\n+++\nx\n")
    code, _, err = run(site, "import", str(source))
    assert code == 1
    assert "broken.md:2: invalid YAML front matter" in err and "broken2.md:2: invalid TOML" in err
    assert list((site / "posts").glob("*.md")) == []
