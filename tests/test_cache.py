"""The speed-ups that must not change a byte: the fast Markdown inline processor, and the
build cache's handling of corrupt, foreign or half-written state."""

from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import blogsite.markdown as md_module
from blogsite.markdown import _required

# Pieces that exercise every inline pattern: emphasis, links, references, footnotes, code,
# autolinks, raw HTML, entities, escapes, smart quotes, dashes, ellipses, line breaks.
PIECES = [
    "mot", "l'été", "d'ailleurs", "'90s", "\"cité\"", "'simple'", "«", "»", " -- ", " --- ",
    "...", "*em*", "**fort**", "_sous_", "__gras__", "`code`", "``a ` b``", "[lien](/x)",
    "[ref][r]", "[r]", "![img](/i.png)", "![alt][r]", "[^1]", "<http://ex.org/a?b>",
    "<moi@ex.org>", "<span class=\"x\">z</span>", "&amp;", "&#8239;", "&copy;", "\\*", "\\\\",
    "  \n", "\n", " ", ":", "?", "!", ";", "<<", ">>", "<!-- c -->", "x_y_z", "***", "~",
    "[", "]", "(", ")", "\"", "'", "`", "*", "_", "&", "<", ">",
]
LINES = st.lists(st.sampled_from(PIECES), max_size=25).map("".join)
DOCS = st.lists(
    st.one_of(
        LINES,
        LINES.map(lambda s: "# " + s),
        LINES.map(lambda s: "- " + s),
        LINES.map(lambda s: "> " + s),
        st.just("[r]: /ref \"Titre\"\n[^1]: Une note 'citée'."),
        st.just("```\ncode 'brut' -- ...\n```"),
        st.just("*[HTML]: HyperText"),
    ),
    max_size=8,
).map("\n\n".join)


def _both(text: str, lang: str) -> tuple[str, str]:
    results = []
    try:
        for fast in (False, True):
            md_module.FAST_INLINE = fast
            md_module._converters.clear()
            md = md_module._converter(lang)
            md.reset()
            results.append(md.convert(text))
    finally:
        md_module.FAST_INLINE = True
        md_module._converters.clear()
    return results[0], results[1]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=DOCS, lang=st.sampled_from(["fr", "en", "de"]))
def test_fast_inline_processor_gives_the_stock_output(text: str, lang: str) -> None:
    stock, fast = _both(text, lang)
    assert fast == stock


def test_fast_inline_processor_on_a_real_post() -> None:
    text = (
        "Un \"premier\" paragraphe, l'air de rien... avec *de l'emphase*, **du gras**, un "
        "[lien](https://exemple.org/?a=1&b=2) et une note[^n].\n\n"
        "## Un titre -- court\n\n- un `code 'brut'`\n- <http://exemple.org>\n\n"
        "> Une citation --- « déjà » là !\n\n[^n]: La note."
    )
    stock, fast = _both(text, "fr")
    assert fast == stock
    assert "&laquo;" in fast


def test_required_literals_are_necessary() -> None:
    cases = {
        r"\!\[": (("![",),),
        r"(?<!-)---(?!-)": (("---",),),
        r"\*|_": (("*", "_"),),
        r"(?i)abc": (),
        r"a?b": (("b",),),
        r"(?:ab)+c": (("ab",), ("c",)),
        r"x{2,}": (("xx",),),
        r"[ab]c": (("a", "b"), ("c",)),
        r"[^a]": (),
    }
    for pattern, expected in cases.items():
        assert _required(re.compile(pattern)) == expected, pattern


# ----- a cache that is corrupt, foreign or half-written is never trusted

import os  # noqa: E402
import shutil  # noqa: E402
import sqlite3  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

from blogsite.build import build_site  # noqa: E402
from blogsite.build import store as cache_module  # noqa: E402
from blogsite.config import load_config  # noqa: E402
from tests.test_incremental import NOW, make_fixture, reference, tree  # noqa: E402


def _built(tmp_path: Path) -> Path:
    root = tmp_path / "site"
    make_fixture(root)
    build_site(load_config(root), now=NOW)
    return root


def _edit_everything(root: Path) -> None:
    """A template edit: every page is rendered again, from cached posts."""
    from blogsite.theme import builtin_theme_dir

    (root / "theme").mkdir(exist_ok=True)
    base = (builtin_theme_dir() / "base.html").read_text()
    (root / "theme" / "base.html").write_text(base.replace("<body>", "<body class='v2'>"))


def _check(root: Path, tmp_path: Path) -> None:
    result = build_site(load_config(root), now=NOW)
    assert tree(root / "public") == reference(root, tmp_path / "ref", NOW)
    assert result.written == len(tree(root / "public"))


@pytest.mark.parametrize(
    "damage",
    ["garbage", "truncated", "empty", "zeroed-middle", "directory"],
)
def test_a_damaged_database_is_rebuilt(tmp_path, damage):
    root = _built(tmp_path)
    db = root / cache_module.CACHE_DIR / cache_module.DB_NAME
    for suffix in ("-wal", "-shm"):
        Path(str(db) + suffix).unlink(missing_ok=True)
    data = db.read_bytes()
    if damage == "garbage":
        db.write_bytes(os.urandom(len(data)))
    elif damage == "truncated":  # a half-written copy (an interrupted CI cache restore)
        db.write_bytes(data[: len(data) // 2])
    elif damage == "empty":
        db.write_bytes(b"")
    elif damage == "zeroed-middle":
        db.write_bytes(data[:4096] + b"\0" * (len(data) - 8192) + data[-4096:])
    else:
        db.unlink()
        db.mkdir()
    _edit_everything(root)
    _check(root, tmp_path)


def test_a_cache_from_another_version_is_dropped(tmp_path, monkeypatch):
    root = _built(tmp_path)
    monkeypatch.setattr(cache_module, "_CODE", "another-blogsite")
    store = cache_module.Store.open(root)
    assert store is not None
    assert store.column("meta", ["x"]) == {}
    assert store.conn.execute("SELECT count(*) FROM posts").fetchone() == (0,)
    store.close()
    _check(root, tmp_path)


def test_damaged_entries_are_ignored(tmp_path):
    root = _built(tmp_path)
    db = root / cache_module.CACHE_DIR / cache_module.DB_NAME
    conn = sqlite3.connect(db)
    # Bodies, front matter and manifests altered behind their checksums.
    conn.execute("UPDATE posts SET content = CAST('{\"html\": \"<p>faux</p>\"}' AS BLOB)")
    conn.execute("UPDATE posts SET extra = CAST('{\"teaser\": \"faux\"}' AS BLOB)")
    conn.execute("UPDATE posts SET meta = CAST('{\"f\": {}}' AS BLOB) WHERE rowid % 2 = 0")
    conn.execute("UPDATE blobs SET data = CAST('{}' AS BLOB)")
    conn.commit()
    conn.close()
    _edit_everything(root)
    _check(root, tmp_path)


def test_a_deleted_output_folder_is_written_again_with_the_cache(tmp_path):
    root = _built(tmp_path)
    shutil.rmtree(root / "public")
    _check(root, tmp_path)


def test_a_broken_build_keeps_the_previous_site_and_cache(tmp_path):
    root = _built(tmp_path)
    before = tree(root / "public")
    (root / "posts" / "bad.md").write_text("---\ntitle: [oops\n---\n")
    with pytest.raises(Exception):  # noqa: B017 - BlogsiteError
        build_site(load_config(root), now=NOW)
    assert tree(root / "public") == before
    (root / "posts" / "bad.md").unlink()
    _check(root, tmp_path)


def test_well_checksummed_nonsense_is_ignored(tmp_path):
    """Entries with a valid checksum but not what blogsite writes (a tampered cache)."""
    root = _built(tmp_path)
    db = root / cache_module.CACHE_DIR / cache_module.DB_NAME
    conn = sqlite3.connect(db)
    keys = [k for (k,) in conn.execute("SELECT key FROM posts")]
    for n, key in enumerate(keys):
        meta = [b"not json", b'{"f": {}}', b"[1, 2]", b'{"f": {"title": 3}, "g": {}}'][n % 4]
        content = [b"{", b"[]", b'{"html": 5}', b'"x"'][n % 4]
        conn.execute(
            "UPDATE posts SET meta = ?, meta_sum = ?, content = ?, content_sum = ?,"
            " extra = ?, extra_sum = ? WHERE key = ?",
            (meta, cache_module.digest(meta), content, cache_module.digest(content),
             content, cache_module.digest(content), key),
        )
    import marshal

    for n, (name,) in enumerate(list(conn.execute("SELECT name FROM blobs"))):
        # Values as blogsite stores them (marshal) but not what it writes, and bytes that
        # are not marshal data at all.
        data = (
            marshal.dumps({"format": 1, "input": 3, "files": []}) if name.startswith("manifest")
            else [b"[]", marshal.dumps(["x", {"y": [1]}]), marshal.dumps({"deps": 3})][n % 3]
        )
        conn.execute(
            "UPDATE blobs SET data = ?, sum = ? WHERE name = ?",
            (data, cache_module.digest(data), name),
        )
    conn.commit()
    conn.close()
    _edit_everything(root)
    _check(root, tmp_path)
