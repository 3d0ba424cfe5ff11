"""A fresh clone's output folder, laid out from the cache by a child process while the site
loads (blogsite/layout.py): the same bytes as a cold build, whatever the layout found."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from blogsite import layout as layout_module
from blogsite.build import Builder, build_site
from blogsite.cache import CACHE_DIR, PageStore, digest
from blogsite.config import load_config
from blogsite.errors import BlogsiteError
from blogsite.layout import Layout
from blogsite.render import Renderer
from tests.test_incremental import (
    BODIES,
    NOW,
    _copy_site,
    folders,
    make_fixture,
    post_text,
    reference,
    tree,
)


@pytest.fixture
def placed(monkeypatch):
    """Lay out even small sites; record what each layout placed (None: none made)."""
    monkeypatch.setattr(Layout, "MIN_FILES", 1)
    found: list[dict | None] = []
    wait = Layout.wait

    def spy(self):
        result = wait(self)
        found.append(None if result is None else dict(result))
        return result

    monkeypatch.setattr(Layout, "wait", spy)
    return found


def _site(tmp_path: Path) -> Path:
    root = tmp_path / "site"
    make_fixture(root)
    for i in range(5, 25):
        (root / "posts" / f"x{i}.md").write_text(
            post_text(f"Article {i}", f"2023-{i % 12 + 1:02d}-0{i % 9 + 1}", BODIES[i % 5],
                      ["vélo"] if i % 2 else ())
        )
    build_site(load_config(root), now=NOW)
    return root


def _clone(tmp_path: Path, root: Path) -> Path:
    clone = tmp_path / "clone" / "site"
    _copy_site(root, clone)
    return clone


def _leftovers(folder: Path) -> list[str]:
    """What a build left beside the output folder (staging folders, reports)."""
    return sorted(n for n in os.listdir(folder) if "staging" in n or ".old-" in n)


def _store_is_sound(root: Path) -> None:
    for path in (root / CACHE_DIR / "pages").rglob("*"):
        if path.is_file():
            assert digest(path.read_bytes()) == path.name, f"{path} was written through"


def test_a_fresh_clone_is_laid_out_and_patched(tmp_path, placed, monkeypatch):
    root = _site(tmp_path)
    clone = _clone(tmp_path, root)
    # Stale pages stay in the store, so that one written through would show below.
    monkeypatch.setattr(PageStore, "prune", lambda self, live: None)
    (clone / "posts" / "x7.md").write_text(post_text("Changé", "2023-08-08", BODIES[1]))
    (clone / "posts" / "x8.md").unlink()  # its page was laid out, and must go
    (clone / "posts" / "neuf.md").write_text(post_text("Neuf", "2024-05-30", BODIES[2]))
    result = build_site(load_config(clone), now=NOW)
    assert placed and placed[0], "no layout was made"
    assert "2023/09/article-8/index.html" in placed[0]
    assert tree(clone / "public") == reference(clone, tmp_path / "ref", NOW)
    assert folders(clone / "public") == folders(tmp_path / "ref")
    assert 0 < result.rendered < len(result.files) // 2
    assert _leftovers(clone.parent) == [] and _leftovers(clone) == []
    _store_is_sound(clone)


def test_pages_replaced_after_a_layout_leave_the_page_store_sound(tmp_path, placed, monkeypatch):
    root = _site(tmp_path)
    clone = _clone(tmp_path, root)
    monkeypatch.setattr(PageStore, "prune", lambda self, live: None)
    build_site(load_config(clone), now=NOW)
    assert placed and placed[0]
    # Every page of the clone is now a link into the page store: an edit must replace
    # files, never write into them.
    for name in ("x5.md", "x6.md", "p1.md"):
        path = clone / "posts" / name
        path.write_text(path.read_text() + "\nUn ajout : oui !\n")
    (clone / "site.toml").write_text((clone / "site.toml").read_text().replace("Carnet", "Cahier"))
    build_site(load_config(clone), now=NOW)
    _store_is_sound(clone)
    assert tree(clone / "public") == reference(clone, tmp_path / "ref", NOW)
    shutil.rmtree(clone / "public")
    build_site(load_config(clone), now=NOW)
    assert tree(clone / "public") == reference(clone, tmp_path / "ref", NOW)


def test_a_damaged_stored_page_is_rendered_again(tmp_path, placed):
    root = _site(tmp_path)
    clone = _clone(tmp_path, root)
    stored = sorted(p for p in (clone / CACHE_DIR / "pages").rglob("*") if p.is_file())
    for path in stored[::3]:
        path.write_bytes(path.read_bytes()[:-5] + b"oops!")
    build_site(load_config(clone), now=NOW)
    assert placed and placed[0] is not None
    assert tree(clone / "public") == reference(clone, tmp_path / "ref", NOW)


def test_a_layout_that_failed_is_thrown_away(tmp_path, placed, monkeypatch):
    root = _site(tmp_path)
    clone = _clone(tmp_path, root)
    real = layout_module._lay_out

    def half(staging, files, store, report):
        real(staging, files[: len(files) // 2], store, report)
        os.unlink(report)
        raise OSError("disk full")

    monkeypatch.setattr(layout_module, "_lay_out", half)
    build_site(load_config(clone), now=NOW)
    assert placed == [None]
    assert tree(clone / "public") == reference(clone, tmp_path / "ref", NOW)
    assert _leftovers(clone) == []


def test_a_failed_build_leaves_no_layout_behind(tmp_path, placed):
    root = _site(tmp_path)
    clone = _clone(tmp_path, root)
    (clone / "posts" / "x9.md").write_text("---\ntitle: [unclosed\n---\nOups\n")
    with pytest.raises(BlogsiteError):
        build_site(load_config(clone), now=NOW)
    assert not (clone / "public").exists()
    assert _leftovers(clone) == []
    _store_is_sound(clone)


def test_pages_rendered_while_the_layout_works_are_the_cold_builds(tmp_path, placed,
                                                                   monkeypatch):
    """The changed pages of a fresh clone are rendered before the layout is done (as on
    a large site) and written into the page store, then linked into place."""
    root = _site(tmp_path)
    clone = _clone(tmp_path, root)
    monkeypatch.setattr(Layout, "running", lambda self: True)
    early: list[int] = []
    render = Builder._render

    def spy(self, renders, sink, lazy=False):
        if self.layout is not None and self.layout.pid is not None:  # not yet waited for
            early.append(len(renders))
        return render(self, renders, sink, lazy)

    monkeypatch.setattr(Builder, "_render", spy)
    (clone / "posts" / "neuf.md").write_text(post_text("Neuf", "2024-05-30", BODIES[2]))
    (clone / "posts" / "x9.md").write_text(post_text("Changé", "2023-10-01", BODIES[3]))
    result = build_site(load_config(clone), now=NOW)
    assert placed and placed[0], "no layout was made"
    assert early and early[0] == result.rendered > 0
    assert tree(clone / "public") == reference(clone, tmp_path / "ref", NOW)
    assert _leftovers(clone.parent) == [] and _leftovers(clone) == []
    _store_is_sound(clone)
    # Each page written early is the page store's copy (a link, where links work).
    stored = {p.name for p in (clone / CACHE_DIR / "pages").rglob("*") if p.is_file()}
    assert stored >= {digest(p.read_bytes()) for p in (clone / "public").rglob("*.html")}


def test_a_damaged_stored_copy_of_an_early_page_is_not_trusted(tmp_path, placed, monkeypatch):
    """A page rendered early whose digest the store already holds, damaged: the build
    renders it again rather than link the damaged copy (only copies it wrote itself are
    linked unread)."""
    root = _site(tmp_path)
    clone = _clone(tmp_path, root)
    monkeypatch.setattr(Layout, "running", lambda self: True)
    (clone / "posts" / "neuf.md").write_text(post_text("Neuf", "2024-05-30", BODIES[2]))
    expected = reference(clone, tmp_path / "ref", NOW)
    store = PageStore(clone)
    for rel in ("index.html", "page/2/index.html"):
        d = digest(expected[rel])
        store.folder.joinpath(d[:2]).mkdir(parents=True, exist_ok=True)
        store.folder.joinpath(d[:2], d).write_bytes(b"damaged")
    build_site(load_config(clone), now=NOW)
    assert placed and placed[0], "no layout was made"
    assert tree(clone / "public") == expected
    _store_is_sound(clone)


def test_without_hard_links_pages_are_copied(tmp_path, placed, monkeypatch):
    """A file system without hard links (some CI caches, network mounts): the page store
    and the layout copy pages instead, and the site is the same."""
    root = _site(tmp_path)
    clone = _clone(tmp_path, root)

    def no_link(*args, **kwargs):
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_link)
    monkeypatch.setattr(Layout, "running", lambda self: True)
    rendered: list[tuple] = []
    render_template = Renderer.render_template

    def counted(self, name, lang=None, **context):
        rendered.append((name, context["page"]["url"]))
        return render_template(self, name, lang, **context)

    monkeypatch.setattr(Renderer, "render_template", counted)
    (clone / "posts" / "neuf.md").write_text(post_text("Neuf", "2024-05-30", BODIES[2]))
    build_site(load_config(clone), now=NOW)
    assert rendered and len(rendered) == len(set(rendered)), "a page was rendered twice"
    assert placed and placed[0], "no layout was made"
    assert tree(clone / "public") == reference(clone, tmp_path / "ref", NOW)
    _store_is_sound(clone)
    stored = {p.name for p in (clone / CACHE_DIR / "pages").rglob("*") if p.is_file()}
    assert stored >= {digest(p.read_bytes()) for p in (clone / "public").rglob("*.html")}
    assert all(p.stat().st_nlink == 1 for p in (clone / "public").rglob("*.html"))
    (clone / "posts" / "x7.md").write_text(post_text("Changé", "2023-08-08", BODIES[1]))
    build_site(load_config(clone), now=NOW)
    assert tree(clone / "public") == reference(clone, tmp_path / "ref2", NOW)
    _store_is_sound(clone)
    # The pages the edit wrote in place were copied into the store too.
    stored = {p.name for p in (clone / CACHE_DIR / "pages").rglob("*") if p.is_file()}
    assert stored >= {digest(p.read_bytes()) for p in (clone / "public").rglob("*.html")}


@pytest.mark.parametrize("early", [True, False])
def test_a_fresh_clone_writes_its_new_pages_into_stale_kept_pages(
    tmp_path, placed, monkeypatch, early
):
    """The restored cache keeps pages the last builds replaced: a fresh clone's new pages
    (rendered while the layout works, or after it) are written into their files, and the
    site and the page store are as sound as ever."""
    from blogsite import build as build_module

    monkeypatch.setattr(build_module, "SPARES_MIN", 1)
    root = _site(tmp_path)
    (root / "posts" / "avant.md").write_text(post_text("Avant", "2024-05-20", BODIES[1]))
    build_site(load_config(root), now=NOW)  # the home pages it replaced stay in the store
    clone = _clone(tmp_path, root)
    live = {digest(data) for data in tree(root / "public").values()}
    stale = {
        os.stat(p).st_ino for p in (clone / CACHE_DIR / "pages").rglob("*")
        if p.is_file() and p.name not in live
    }
    assert stale
    if early:
        monkeypatch.setattr(Layout, "running", lambda self: True)
    (clone / "posts" / "neuf.md").write_text(post_text("Neuf", "2024-05-30", BODIES[2]))
    build_site(load_config(clone), now=NOW)
    assert placed and placed[0], "no layout was made"
    written = {os.stat(p).st_ino for p in (clone / "public").rglob("*") if p.is_file()}
    assert written & stale
    assert tree(clone / "public") == reference(clone, tmp_path / "ref", NOW)
    _store_is_sound(clone)
