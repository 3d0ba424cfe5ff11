"""blogsite deletes or replaces only files it wrote itself, on every path that deletes:
a staged swap, an in-place update, a failed build, `serve`, `publish`'s builds."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from blogsite.build.store import CACHE_DIR, DB_NAME
from tests.conftest import tree
from tests.test_publish import World, world  # noqa: F401 - the publish test's fake networks

NEW_POST = "---\ntitle: Brand new\ndate: 2024-05-01\n---\nNew body\n"


def _foreign(folder: Path) -> dict[str, bytes]:
    """A web root blogsite did not write: a page, notes, a photo, hidden files."""
    files = {
        "index.html": b"<p>my own home page</p>",
        "notes.txt": b"years of notes",
        "photos/cat.jpg": b"\xff\xd8 a cat",
        ".well-known/security.txt": b"Contact: mailto:me@example.org",
        ".htaccess": b"Options -Indexes",
    }
    for rel, data in files.items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_bytes(data)
    return files


def _mine(folder: Path) -> dict[str, bytes]:
    """Files a user adds to an output folder blogsite built (none at a path it makes)."""
    files = {k: v for k, v in _foreign(folder).items() if k != "index.html"}
    return files


def _kept(folder: Path, files: dict[str, bytes]) -> None:
    for rel, data in files.items():
        assert (folder / rel).read_bytes() == data, rel


@pytest.fixture
def site(make_site, cli):
    root = make_site("tricky")
    assert cli(root, "build").code == 0
    return root


def test_a_foreign_folder_is_refused_and_left_alone(site, cli, tmp_path):
    web = tmp_path / "www"
    web.mkdir()
    files = _foreign(web)
    result = cli(site, "build", "--output", str(web))
    assert result.code == 1
    assert "www" in result.err and "was not written by blogsite" in result.err
    assert "--keep-unknown" in result.err and "empty" in result.err
    assert tree(web) == files


def test_keep_unknown_writes_around_foreign_files(site, cli, tmp_path):
    web = tmp_path / "www"
    web.mkdir()
    files = _foreign(web)
    assert cli(site, "build", "--output", str(web), "--keep-unknown").code == 0
    assert b"my own home page" not in (web / "index.html").read_bytes()  # a page it makes
    _kept(web, {k: v for k, v in files.items() if k != "index.html"})
    # From now on the folder is known: later builds need no flag and still keep the files.
    (site / "posts/new.md").write_text(NEW_POST)
    assert cli(site, "build", "--output", str(web)).code == 0
    (site / "posts/new.md").unlink()
    assert cli(site, "build", "--output", str(web)).code == 0
    assert not any("brand-new" in rel for rel in tree(web))
    _kept(web, {k: v for k, v in files.items() if k != "index.html"})


def test_a_lost_record_refuses_rather_than_deletes(site, cli):
    public = site / "public"
    files = _mine(public)
    shutil.rmtree(site / CACHE_DIR)  # "safe to delete": with it goes the record of public/
    result = cli(site, "build")
    assert result.code == 1 and "public" in result.err and "--keep-unknown" in result.err
    _kept(public, files)


def test_staged_swap_keeps_files_it_did_not_write(site, cli):
    """Without its cache (a blogsite upgrade drops it) a build renders every page and
    stages a whole new folder: what it did not write must survive the swap, hidden too."""
    public = site / "public"
    files = _mine(public)
    (site / CACHE_DIR / DB_NAME).unlink()
    (site / "posts/mixed.md").unlink()
    assert cli(site, "build").code == 0
    _kept(public, files)
    assert not any("mixed" in rel for rel in tree(public))


def test_staged_swap_of_a_folder_holding_only_its_files(site, cli, monkeypatch):
    public = site / "public"
    (site / "posts/mixed.md").unlink()
    monkeypatch.setenv("BLOGSITE_CACHE", "0")  # the reference build: always staged
    assert cli(site, "build").code == 0
    assert not any("mixed" in rel for rel in tree(public))
    assert not list(site.glob(".public.*"))  # nothing left beside it


def test_in_place_update_deletes_only_its_own_stale_files(site, cli):
    public = site / "public"
    files = _mine(public)
    (site / "posts/mixed.md").unlink()
    assert cli(site, "build").code == 0
    assert not any("mixed" in rel for rel in tree(public))
    _kept(public, files)


def test_a_foreign_file_where_a_new_page_goes_is_not_replaced(site, cli):
    public = site / "public"
    (site / "posts/new.md").write_text(NEW_POST)
    mine = public / "2024/05/brand-new/index.html"
    mine.parent.mkdir(parents=True)
    mine.write_bytes(b"my page")
    before = tree(public)
    result = cli(site, "build")
    assert result.code == 1
    assert "public/2024/05/brand-new/index.html" in result.err and "--keep-unknown" in result.err
    assert tree(public) == before
    assert cli(site, "build", "--keep-unknown").code == 0
    assert b"New body" in mine.read_bytes()


@pytest.mark.parametrize("cache", ["kept", "dropped"])
def test_a_failed_build_leaves_every_file_as_it_was(site, cli, cache):
    public = site / "public"
    _mine(public)
    if cache == "dropped":  # the build would be staged
        (site / CACHE_DIR / DB_NAME).unlink()
    before = tree(public)
    (site / "posts/broken.md").write_text("---\ntitle: [unclosed\n---\n")
    assert cli(site, "build").code == 1
    assert tree(public) == before


def test_serve_leaves_the_output_folder_alone(site):
    from blogsite.serve import Preview

    public = site / "public"
    files = _mine(public)
    before = tree(public)
    preview = Preview(site)
    preview.rebuild()
    (site / "posts/mixed.md").unlink()
    preview.rebuild()
    assert not [p for p in preview.problems if not p.warning]  # (a link to it now warns)
    assert tree(public) == before
    _kept(public, files)


def test_publish_builds_keep_files_it_did_not_write(world: World) -> None:  # noqa: F811
    world.publish()  # builds public/ (and rebuilds it after announcing)
    public = world.root / "public"
    files = _mine(public)
    (world.root / CACHE_DIR / DB_NAME).unlink()  # an upgraded blogsite: no cache
    new = world.root / "posts" / "encore.md"
    new.write_text(
        (world.root / "posts" / "new-post.md").read_text(encoding="utf-8")
        .replace("Un nouvel article", "Encore un article"),
        encoding="utf-8",
    )
    report = world.publish()
    assert report.sent  # the rebuild after announcing ran too
    _kept(public, files)
