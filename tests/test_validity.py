"""Real validators: every page passes the Nu Html Checker, every feed parses with feedparser,
and no internal link is broken (blogsite check)."""

from __future__ import annotations

import feedparser
import pytest

from tests.validators import validate_html


@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    """Build the example blog and the tricky site (drafts included, to cover their badges)."""
    import shutil

    from blogsite.build import build_site
    from blogsite.config import load_config
    from tests.conftest import ROOT, SITES

    base = tmp_path_factory.mktemp("validity")
    example = base / "example"
    example.mkdir()
    for item in ("site.toml", "posts", "pages", "comments", "static"):
        src = ROOT / item
        (shutil.copytree if src.is_dir() else shutil.copy)(src, example / item)
    tricky = base / "tricky"
    shutil.copytree(SITES / "tricky", tricky)
    folders = []
    for site, drafts in ((example, False), (tricky, True)):
        result = build_site(load_config(site), include_drafts=drafts)
        folders.append(result.output)
    return folders


def test_every_page_passes_the_nu_html_checker(outputs):
    pages = [p for folder in outputs for p in sorted(folder.rglob("*.html"))]
    assert len(pages) > 40
    errors = validate_html(pages)
    assert errors == [], "\n".join(f"{e.get('url')}:{e.get('lastLine')}: {e['message']}" for e in errors)


def test_validator_catches_an_invalid_page(tmp_path):
    bad = tmp_path / "bad.html"
    bad.write_text("<!DOCTYPE html><html lang=en><title>x</title><p><div></span>")
    assert validate_html([bad]), "the validator must not accept anything"


def test_every_feed_parses_cleanly(outputs):
    feeds = [p for folder in outputs for p in folder.rglob("*.xml") if p.name != "sitemap.xml"]
    assert len(feeds) >= 10
    for path in feeds:
        parsed = feedparser.parse(path.read_bytes())
        assert not parsed.bozo, f"{path}: {parsed.bozo_exception}"
        assert parsed.version in ("rss20", "atom10"), path
        assert parsed.entries, path


def test_check_reports_no_problem_on_the_example_blog(make_site, cli):
    site = make_site("example")
    result = cli(site, "check")
    assert result.code == 0, result.err
    assert not (site / "public").exists(), "check must not write the site"


def test_check_finds_a_broken_link(make_site, cli):
    site = make_site("tricky")
    (site / "posts/broken.md").write_text(
        "---\ntitle: Broken\ndate: 2024-01-03\n---\nSee [this](/blog/no/such/page/) and [that](#nowhere).\n"
    )
    result = cli(site, "check")
    assert result.code == 1
    assert "posts/broken.md" in result.err and "broken link to /blog/no/such/page/" in result.err
    assert "missing anchor #nowhere" in result.err
