"""Links written in posts: checked by every build against the `.md` file, resolved wherever
the post is shown (home page, tag pages, feeds), and links to another post's file."""

from __future__ import annotations

import json
import re
from pathlib import Path

SITE_TOML = """\
[site]
title = "Liens"
url = "https://example.org/blog/"
language = "fr"
timezone = "Europe/Paris"
"""


def write(root: Path, rel: str, text: str) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def make(tmp_path: Path, posts: dict[str, str]) -> Path:
    root = tmp_path / "site"
    write(root, "site.toml", SITE_TOML)
    write(root, "static/images/chat.png", "png")
    for name, text in posts.items():
        write(root, f"posts/{name}", text)
    return root


AUTRE = "---\ntitle: Autre\ndate: 2020-02-03\ntags: [vélo]\n---\nL'autre billet.\n"


def test_build_reports_each_broken_link_once_against_its_source_line(tmp_path, cli):
    root = make(tmp_path, {
        "a.md": "---\ntitle: A\ndate: 2020-01-02\ntags: [vélo]\nimage: /images/absente.png\n---\n"
        "Premier [cassé](/blog/nulle-part/) et ![chat](/blog/images/chat.png).\n\n"
        "![manque](/blog/images/chien.png) puis encore [cassé](/blog/nulle-part/).\n",
        "autre.md": AUTRE,
    })
    result = cli(root, "build")
    assert result.code == 0, result.err
    assert result.err.count("nulle-part") == 1
    assert "warning: posts/a.md:7: broken link to /blog/nulle-part/" in result.err
    assert "warning: posts/a.md:9: missing image /blog/images/chien.png" in result.err
    assert "warning: posts/a.md:5: the cover image /images/absente.png" in result.err
    assert "chat.png" not in result.err
    assert "public/" not in result.err.replace("into public/", "")  # never a generated page
    # A build with nothing to do says it again; --strict refuses.
    assert cli(root, "build").err == result.err
    strict = cli(root, "build", "--strict")
    assert strict.code == 1
    assert "error: posts/a.md:7: broken link to /blog/nulle-part/" in strict.err


def test_check_reports_a_broken_link_once_as_an_error(tmp_path, cli):
    root = make(tmp_path, {
        "a.md": "---\ntitle: A\ndate: 2020-01-02\n---\nVoir [ici](../../02/rien/).\n",
    })
    result = cli(root, "check")
    assert result.code == 1
    assert result.err.count("rien") == 1, result.err
    assert "error: posts/a.md:5: broken link to ../../02/rien/" in result.err


def test_a_relative_link_in_a_summary_works_on_listings_and_in_feeds(tmp_path, cli):
    root = make(tmp_path, {
        "a.md": "---\ntitle: A\ndate: 2020-03-04\ntags: [vélo]\n---\n"
        "Voir [l'autre](../../02/autre/) et ![chat](../../../images/chat.png).\n\nSuite.\n",
        "autre.md": AUTRE,
    })
    result = cli(root, "build")
    assert result.code == 0 and "warning" not in result.err, result.err
    public = root / "public"
    for page in ("index.html", "2020/03/a/index.html"):
        text = (public / page).read_text()
        assert 'href="/blog/2020/02/autre/"' in text, page
        assert 'src="/blog/images/chat.png"' in text, page
    feed = json.loads((public / "feed.json").read_text())
    item = next(i for i in feed["items"] if i["title"] == "A")
    assert 'href="https://example.org/blog/2020/02/autre/"' in item["content_html"]
    assert "https://example.org/blog/2020/02/autre/" in (public / "tags/velo/rss.xml").read_text()


def test_a_link_to_a_post_file_becomes_its_url(tmp_path, cli):
    root = make(tmp_path, {
        "a.md": "---\ntitle: A\ndate: 2020-03-04\nsummary: \"Suite de [l'autre](sous/autre.md)\"\n"
        "---\n[voir](sous/autre.md#fin) et [encore](./sous/autre.md).\n",
        "sous/autre.md": AUTRE,
    })
    write(root, "pages/about.md", "---\ntitle: À propos\n---\nLire [A](../posts/a.md).\n")
    result = cli(root, "build")
    assert result.code == 0, result.err
    public = root / "public"
    post = (public / "2020/03/a/index.html").read_text()
    assert 'href="/blog/2020/02/autre/#fin"' in post
    assert 'href="/blog/2020/02/autre/"' in post
    assert ".md" not in re.sub(r"<(code|pre)>.*?</\1>", "", post)
    assert 'href="/blog/2020/02/autre/"' in (public / "index.html").read_text()
    assert 'href="/blog/2020/03/a/"' in (public / "a-propos/index.html").read_text()


def test_a_link_to_a_missing_post_file_is_an_error_naming_both_files(tmp_path, cli):
    root = make(tmp_path, {
        "a.md": "---\ntitle: A\ndate: 2020-03-04\n---\nIntro.\n\n[voir](autre-bilet.md)\n",
        "autre-billet.md": AUTRE,
    })
    result = cli(root, "build")
    assert result.code == 1
    assert (
        "error: posts/a.md:7: the link `autre-bilet.md` points to posts/autre-bilet.md, "
        "which is not a post or page" in result.err
    )
    assert "did you mean `autre-billet.md`?" in result.err
    assert not (root / "public").exists()


def test_a_post_renamed_moves_the_links_to_it(tmp_path, cli):
    """The pages showing a link to a post's file are rendered again when that post's URL
    changes, though the file holding the link did not change (the build cache must see
    it): here neither its neighbours nor its home page show the renamed post."""
    posts = {f"f{i}.md": f"---\ntitle: F{i}\ndate: 2020-0{i + 2}-01\n---\nF{i}.\n" for i in range(3)}
    posts["a.md"] = "---\ntitle: A\ndate: 2020-06-04\n---\n[voir](autre.md)\n"
    posts["autre.md"] = AUTRE.replace("2020-02-03", "2020-01-03")
    root = make(tmp_path, posts)
    write(root, "site.toml", SITE_TOML + "paginate = 1\n")
    assert cli(root, "build").code == 0
    write(root, "posts/autre.md", posts["autre.md"].replace("title: Autre", "title: Autre\nslug: ailleurs"))
    assert cli(root, "build").code == 0
    assert 'href="/blog/2020/01/ailleurs/"' in (root / "public/2020/06/a/index.html").read_text()
    assert 'href="/blog/2020/01/ailleurs/"' in (root / "public/index.html").read_text()


def test_tags_differing_in_case_are_one_tag_with_one_spelling(tmp_path, cli):
    root = make(tmp_path, {
        "a.md": "---\ntitle: A\ndate: 2020-01-02\ntags: [Twitter]\n---\nA.\n",
        "b.md": "---\ntitle: B\ndate: 2020-01-03\ntags: [twitter, musique]\n---\nB.\n",
        "c.md": "---\ntitle: C\ndate: 2020-01-04\ntags: [Twitter]\n---\nC.\n",
    })
    result = cli(root, "build")
    assert result.code == 0, result.err
    assert "warning: posts/b.md: tag `twitter` is spelt `Twitter` by other posts" in result.err
    assert result.err.count("warning") == 1
    public = root / "public"
    assert sorted(p.name for p in (public / "tags").iterdir() if p.is_dir()) == [
        "musique", "twitter"
    ]
    post_b = (public / "2020/01/b/index.html").read_text()
    assert ">Twitter<" in post_b and ">twitter<" not in post_b
    feed = json.loads((public / "feed.json").read_text())
    assert {tuple(i["tags"]) for i in feed["items"]} == {("Twitter",), ("Twitter", "musique")}
    rss = (public / "rss.xml").read_text()
    assert ">twitter<" not in rss and rss.count(">Twitter<") == 3
    from blogsite.config import load_config
    from blogsite.publish.announce import hashtags
    from blogsite.site import load_site

    site = load_site(load_config(root))
    assert [hashtags(p.tags) for p in site.posts] == [["#Twitter"], ["#Twitter", "#musique"],
                                                      ["#Twitter"]]
